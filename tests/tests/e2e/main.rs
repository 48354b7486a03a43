//! The end-to-end suite, one binary: real stores, the site over real HTTP, feeds checked by
//! feed parsers, and Lambda events replayed through the functions' routers.

mod aws_env;
mod bad_input;
mod cdn;
mod export;
mod faults;
mod favicon;
mod feeds;
mod functions;
mod hostile;
mod iam;
mod import;
mod import_oracle;
mod import_translate;
mod import_zola;
mod infra;
mod infra_search;
mod ingest;
mod lambda_events;
mod media;
mod pages;
mod publish;
mod request_count;
mod search;
mod search_index;
mod serve;
mod serve_limits;
mod sitemaps;
mod store_conformance;
