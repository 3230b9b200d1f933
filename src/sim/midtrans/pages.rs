//! The browser side of the simulated Snap: `snap.js` (the `window.snap.pay` the frontend calls)
//! and the redirect page. Both show the order and a pay button that settles it through the
//! simulator, which then notifies the merchant.

use actix_web::{HttpRequest, HttpResponse, web};

/// `window.snap.pay(token, {onSuccess, onPending, onError, onClose})` as a small overlay.
pub async fn snap_js(req: HttpRequest) -> HttpResponse {
    let base = format!("http://{}", req.connection_info().host());
    let js = r#"(function () {
  var base = "__BASE__";
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  window.snap = {
    pay: function (token, opts) {
      opts = opts || {};
      var shade = el("div", { id: "sim-snap", style: "position:fixed;inset:0;background:rgba(0,0,0,.5);z-index:99999;display:flex;align-items:center;justify-content:center" });
      var box = el("div", { style: "background:#fff;padding:24px;border-radius:8px;min-width:280px;font-family:sans-serif" });
      box.appendChild(el("h3", {}, "Midtrans (simulator)"));
      var pay = el("button", { id: "sim-snap-pay", type: "button", style: "margin-right:8px" }, "Bayar");
      var close = el("button", { id: "sim-snap-close", type: "button" }, "Tutup");
      box.appendChild(pay); box.appendChild(close); shade.appendChild(box); document.body.appendChild(shade);
      close.onclick = function () { shade.remove(); if (opts.onClose) opts.onClose(); };
      pay.onclick = function () {
        pay.disabled = true;
        fetch(base + "/_sim/pay-token/" + encodeURIComponent(token), { method: "POST" })
          .then(function (r) { return r.json(); })
          .then(function (j) { shade.remove(); if (opts.onSuccess) opts.onSuccess({ order_id: j.order_id, transaction_status: "settlement" }); })
          .catch(function () { shade.remove(); if (opts.onError) opts.onError({ order_id: "" }); });
      };
    },
    hide: function () { var s = document.getElementById("sim-snap"); if (s) s.remove(); }
  };
})();
"#
    .replace("__BASE__", &base);
    HttpResponse::Ok().content_type("application/javascript; charset=utf-8").body(js)
}

/// The Snap redirect page: the order and a pay button.
pub async fn vtweb(path: web::Path<String>) -> HttpResponse {
    let token: String = path.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    let html = format!(
        r#"<!doctype html><meta charset="utf-8"><title>Midtrans (simulator)</title>
<h3>Midtrans (simulator)</h3><p>Token {token}</p>
<button id="pay" type="button">Bayar</button> <span id="out"></span>
<script>
document.getElementById("pay").onclick = function () {{
  fetch("/_sim/pay-token/{token}", {{ method: "POST" }}).then(function (r) {{ return r.json(); }})
    .then(function (j) {{ document.getElementById("out").textContent = "paid " + j.order_id; }});
}};
</script>"#
    );
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html)
}
