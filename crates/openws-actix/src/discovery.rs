//! `GET /openws/spec.json`: every network configured on an `App`, as one document.
//!
//! Each [`network`](crate::network) registers a resource at the spec path
//! whose guard adds its network to the request's collection. Every guard but
//! the last mounted one then declines, so routing falls through to the next
//! network's resource; the last one (marked by app data, where a later
//! `configure` replaces an earlier one's value) answers with the collection.
//! So the spec needs no registration of its own and no shared global, and
//! each `App` (or `Scope`) lists its own networks.

use std::rc::Rc;

use actix_web::guard::{Guard, GuardContext};
use actix_web::http::{Method, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use openws_core::{MountedNetwork, SpecRegistry};

use crate::SPEC_PATH;

/// App data: the network mounted last, whose spec resource answers.
struct Last(Rc<MountedNetwork>);

/// Request data: the networks gathered for one spec request, in mount order.
#[derive(Default)]
struct Collection(Vec<Rc<MountedNetwork>>);

/// Adds `mounted` to each spec request, and answers it when mounted last.
struct Collect(Rc<MountedNetwork>);

impl Guard for Collect {
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        if ctx.head().method != Method::GET {
            return false;
        }
        ctx.req_data_mut()
            .get_or_insert_with(Collection::default)
            .0
            .push(Rc::clone(&self.0));
        ctx.app_data::<Last>()
            .is_some_and(|last| Rc::ptr_eq(&last.0, &self.0))
    }
}

pub(crate) fn register(config: &mut web::ServiceConfig, mounted: MountedNetwork) {
    let mounted = Rc::new(mounted);
    config.app_data(Last(Rc::clone(&mounted))).service(
        web::resource(SPEC_PATH)
            .guard(Collect(mounted))
            .to(serve_spec),
    );
}

async fn serve_spec(request: HttpRequest) -> HttpResponse {
    let mut registry = SpecRegistry::default();
    if let Some(collection) = request.extensions().get::<Collection>() {
        for mounted in &collection.0 {
            registry.add(MountedNetwork::clone(mounted));
        }
    }
    // The Host header, as on every adapter: `connection_info` would trust
    // `Forwarded` and `X-Forwarded-Host` from any client.
    let authority = request
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    HttpResponse::Ok().json(registry.document(authority.as_deref()))
}
