//! `/healthz`: the process answers (for load balancers and container checks).

pub async fn healthz() -> &'static str {
    "ok"
}
