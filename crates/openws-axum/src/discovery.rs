//! `GET /openws/spec.json`: every network mounted on the router, as one document.
//!
//! Each [`RouterExt::openws`](crate::RouterExt::openws) call adds a layer
//! around the whole router (fallback included). The outermost layer that sees
//! a spec request starts a collection, every inner layer adds its network, and
//! the outermost answers with the combined document. So the spec needs no
//! registration of its own and no shared global.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use openws_core::{MountedNetwork, SpecRegistry};

use crate::SPEC_PATH;

/// The networks gathered for one spec request.
#[derive(Clone, Default)]
struct Collection(Arc<Mutex<SpecRegistry>>);

impl Collection {
    fn add(&self, mounted: MountedNetwork) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(mounted);
    }
}

pub(crate) async fn serve_spec(
    mounted: MountedNetwork,
    mut request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET || request.uri().path() != SPEC_PATH {
        return next.run(request).await;
    }
    if let Some(collection) = request.extensions().get::<Collection>() {
        collection.add(mounted);
        return next.run(request).await;
    }
    let collection = Collection::default();
    collection.add(mounted);
    let authority = request
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    request.extensions_mut().insert(collection.clone());
    // The inner layers add their networks; whatever the router itself answers is dropped.
    drop(next.run(request).await);
    let registry = collection
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    // Layers run outermost (last mounted) first: list the networks in mount order.
    let document = registry.reversed().document(authority.as_deref());
    Json(document).into_response()
}
