#![doc = include_str!("../README.md")]

mod read_error;
mod serve;

pub use read_error::read_error;
pub use serve::{HEADER_READ_TIMEOUT, OverTls, Server};
#[cfg(feature = "tls")]
pub use tokio_rustls::rustls;
