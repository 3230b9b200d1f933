//! The worker's `/metrics`: the process's own metrics (sync, router, codes, WhatsApp, queues),
//! served until shutdown.

use actix_web::{App, HttpResponse, HttpServer, web};

use crate::shutdown::Shutdown;

pub(super) fn serve(
    listener: std::net::TcpListener,
    queues: hotspot_jobs::Queues,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let queues = web::Data::new(queues);
    let server = HttpServer::new(move || {
        App::new().app_data(queues.clone()).route(
            "/metrics",
            web::get().to(|q: web::Data<hotspot_jobs::Queues>| async move {
                crate::metrics::refresh_queues(&q).await;
                match crate::metrics::render(Vec::new()) {
                    Ok(text) => HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text),
                    Err(e) => {
                        tracing::error!(error = %e, "metrics encoding failed");
                        HttpResponse::InternalServerError().finish()
                    }
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    tokio::spawn(async move {
        shutdown.wait().await;
        handle.stop(true).await;
    });
    Ok(())
}
