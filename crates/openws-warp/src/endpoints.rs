//! `{prefix}/openws/…`: the app-level endpoints of a [`Networks`], answered by
//! [`Networks::respond`].
//!
//! Every [`network`](crate::network) filter includes this one; the first in
//! an `.or` chain answers, and since the networks behind one prefix share one
//! `Networks`, any of them answers the same. It rejects every other path at
//! once, and paths it does not own with 404, so `.or` moves on.

use std::convert::Infallible;

use bytes::{Buf, BytesMut};
use futures_util::{Stream, StreamExt};
use openws_core::{EndpointRequest, EndpointResponse, Networks};
use openws_hyper::OverTls;
use warp::filters::path::{FullPath, Peek};
use warp::http::{HeaderMap, Method};
use warp::reply::Response;
use warp::{Filter, Rejection};

pub(crate) fn filter(
    networks: Networks,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    prefix_and_route()
        .and(warp::method())
        .and(raw_query())
        .and(warp::header::headers_cloned())
        .and(warp::ext::optional::<OverTls>())
        .and(warp::body::stream())
        .and_then(
            move |(prefix, route): (String, String),
                  method,
                  query,
                  headers,
                  tls: Option<OverTls>,
                  body| {
                let networks = networks.clone();
                async move {
                    let request = endpoint_request(prefix, route, method, query, headers, body);
                    let response = match request.await {
                        Ok(mut request) => {
                            request.tls = tls.is_some();
                            networks
                                .respond(request)
                                .await
                                .ok_or_else(warp::reject::not_found)?
                        }
                        Err(response) => response,
                    };
                    let mut reply = Response::new(response.body.into());
                    *reply.status_mut() = response.status;
                    *reply.headers_mut() = response.headers;
                    Ok::<_, Rejection>(reply)
                }
            },
        )
}

/// `{prefix}/openws/{route}`, the prefix being whatever path filters matched before.
fn prefix_and_route() -> impl Filter<Extract = ((String, String),), Error = Rejection> + Clone {
    let root = EndpointRequest::ROOT.trim_start_matches('/');
    warp::path::full().and(warp::path::peek()).and_then(
        move |full: FullPath, rest: Peek| async move {
            let route = rest
                .as_str()
                .strip_prefix(root)
                .ok_or_else(warp::reject::not_found)?;
            let matched = &full.as_str()[..full.as_str().len() - rest.as_str().len()];
            Ok::<_, Rejection>((matched.trim_end_matches('/').to_owned(), route.to_owned()))
        },
    )
}

fn raw_query() -> impl Filter<Extract = (Option<String>,), Error = Infallible> + Clone {
    warp::query::raw()
        .map(Some)
        .or(warp::any().map(|| None))
        .unify()
}

async fn endpoint_request(
    prefix: String,
    route: String,
    method: Method,
    query: Option<String>,
    headers: HeaderMap,
    body: impl Stream<Item = Result<impl Buf, warp::Error>>,
) -> Result<EndpointRequest, EndpointResponse> {
    let mut request = EndpointRequest::new(method, prefix, route);
    request.query = query;
    request.headers = headers;
    let mut bytes = BytesMut::new();
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| EndpointResponse::body_too_large())?;
        if bytes.len() + chunk.remaining() > EndpointRequest::MAX_BODY {
            return Err(EndpointResponse::body_too_large());
        }
        bytes.extend_from_slice(chunk.chunk());
    }
    request.body = bytes.freeze();
    Ok(request)
}
