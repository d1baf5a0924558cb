//! The page, embedded: nothing is fetched from elsewhere.

use axum::http::header;
use axum::response::{Html, IntoResponse};
use serde_json::json;
use std::sync::OnceLock;

/// The page, with the lists of `GET /api/functions` and `GET /api/optimizers` in it: the
/// page starts its first race without waiting for them.
pub(crate) async fn index() -> Html<&'static str> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(PAGE.get_or_init(|| {
        let lists = json!({
            "functions": crate::api::function_list(),
            "optimizers": crate::api::optimizer_list(),
        });
        // "</" would end the script element; "<\/" is the same JSON string.
        let lists = lists.to_string().replace("</", "<\\/");
        include_str!("../assets/index.html").replace(
            "<!-- lists -->",
            &format!(r#"<script id="lists" type="application/json">{lists}</script>"#),
        )
    }))
}

pub(crate) async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/app.js"),
    )
}

pub(crate) async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../assets/style.css"),
    )
}

pub(crate) async fn data_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/data.js"),
    )
}

pub(crate) async fn view3d_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/view3d.js"),
    )
}
