//! `/api/admin/backups`: the database's archives — list, make one, download, upload, restore.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

use crate::admin::backups::{BackupError, BackupFile, restore_request};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorCode, refuse};
use crate::http::extract::AdminActor;
use crate::http::input::Input;

type Data = web::Data<AppState>;

impl From<BackupError> for ApiError {
    fn from(e: BackupError) -> Self {
        use actix_web::http::StatusCode;
        match e {
            BackupError::Refused(why) => ApiError::validation("file", why),
            BackupError::NotFound => ApiError::not_found(),
            BackupError::TooLarge => ApiError::payload_too_large(),
            BackupError::Tool { tool, .. } => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                format!("{tool} gagal dijalankan; lihat log server."),
                format!("{tool} failed; see the server's log."),
            ),
            BackupError::Admin(a) => a.into(),
            BackupError::Io(io) => {
                tracing::error!(error = %io, "backup folder");
                ApiError::internal()
            }
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BackupList {
    items: Vec<BackupFile>,
}

#[utoipa::path(get, path = "/api/admin/backups", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = BackupList, description = "The archives in the backup folder, newest first"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn list(state: Data, _a: AdminActor) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(BackupList { items: state.admin.backups().await? }))
}

#[utoipa::path(post, path = "/api/admin/backups", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = BackupFile, description = "pg_dump made an archive (custom format); the oldest beyond the kept number went"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN")))]
pub async fn create(state: Data, a: AdminActor) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(state.admin.create_backup(Some(&a.0), "manual").await?))
}

#[utoipa::path(get, path = "/api/admin/backups/{name}", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("name" = String, Path, pattern = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,114}\.dump$")),
    responses((status = 200, content_type = "application/octet-stream", description = "The archive"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: super admin only"),
        (status = 404, description = "NOT_FOUND")))]
pub async fn download(state: Data, a: AdminActor, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    // The archive holds every account: a super admin's to take away.
    if a.0.role != crate::domain::Role::SuperAdmin {
        return Err(refuse::forbidden());
    }
    let (path, len) = state.admin.backup_path(&name).await?;
    let file = tokio::fs::File::open(&path).await.map_err(BackupError::from)?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{}\"", name.as_str())))
        .insert_header(("Content-Length", len.to_string()))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(tokio_util::io::ReaderStream::new(file)))
}

#[derive(Serialize, ToSchema)]
pub struct Uploaded {
    message: &'static str,
    #[serde(flatten)]
    file: BackupFile,
}

#[utoipa::path(post, path = "/api/admin/backups/upload", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content_type = "multipart/form-data", description = "The archive in the field `file`"),
    responses((status = 201, body = Uploaded, description = "A pg_dump archive of this schema version, kept"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: super admin only"),
        (status = 413, description = "PAYLOAD_TOO_LARGE"), (status = 422, description = "VALIDATION_ERROR: not an archive of this schema")))]
pub async fn upload(state: Data, a: AdminActor, mut form: Multipart) -> Result<HttpResponse, ApiError> {
    if a.0.role != crate::domain::Role::SuperAdmin {
        return Err(refuse::forbidden());
    }
    let (name, part) = state.admin.upload_target().await?;
    let max = state.settings.backups.max_upload_bytes;
    let written = async {
        let mut got = false;
        while let Some(field) = form.next().await {
            let mut field = field.map_err(|_| BackupError::Refused("the upload is not a multipart form"))?;
            if field.name() != Some("file") || got {
                while field.next().await.is_some() {}
                continue;
            }
            got = true;
            let mut out = tokio::fs::File::create(&part).await?;
            let mut size = 0u64;
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|_| BackupError::Refused("the upload broke off"))?;
                size += chunk.len() as u64;
                if size > max {
                    return Err(BackupError::TooLarge);
                }
                out.write_all(&chunk).await?;
            }
            out.flush().await?;
        }
        if got { Ok(()) } else { Err(BackupError::Refused("no field `file` in the form")) }
    };
    if let Err(e) = written.await {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(e.into());
    }
    let file = state.admin.accept_upload(&a.0, &name, &part).await?;
    Ok(HttpResponse::Created().json(Uploaded { message: "Berkas cadangan diunggah.", file }))
}

#[derive(Deserialize, ToSchema)]
pub struct RestoreBody {
    #[schema(pattern = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,114}\.dump$")]
    filename: String,
    /// `RESTORE`, as the page sends it.
    #[schema(pattern = "^(?i:restore)$")]
    confirm: String,
    /// `merge` (the page's default): the archive is restored whole either way.
    #[schema(pattern = "^(merge|replace|replace_users)$")]
    restore_mode: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Restored {
    message: String,
    filename: String,
    /// The archive made just before, to undo the restore with.
    safety_backup: String,
}

#[utoipa::path(post, path = "/api/admin/backups/restore", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    request_body(content((RestoreBody = "application/json"))),
    responses((status = 200, body = Restored, description = "Restored whole in one transaction after a safety backup; sign-ins saw the maintenance page meanwhile"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: super admin only"),
        (status = 404, description = "NOT_FOUND"), (status = 409, description = "INVALID_STATE"),
        (status = 422, description = "VALIDATION_ERROR: not confirmed, or an archive of another schema version")))]
pub async fn restore(state: Data, a: AdminActor, body: Input<RestoreBody>) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    restore_request(&b.confirm, b.restore_mode.as_deref())?;
    let safety_backup = state.admin.restore_backup(&a.0, &b.filename).await?;
    Ok(HttpResponse::Ok().json(Restored {
        message: format!("Pemulihan {} selesai. Cadangan sebelum pemulihan: {safety_backup}.", b.filename),
        filename: b.filename,
        safety_backup,
    }))
}
