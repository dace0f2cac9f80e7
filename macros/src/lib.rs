//! `#[wakeful::main]` and `#[wakeful::test]`: turn an `async fn` into a plain one that builds
//! a wakeful runtime and blocks on the body, as tokio's macros do, so a tokio program ports
//! by changing the attribute's path.
//!
//! Options: `worker_threads = N` (default: one per CPU for `main`, 2 for `test`), and
//! `crate = "path"` when the facade is renamed in `Cargo.toml`. Unknown options are
//! compile errors that name the option. The examples below are exercised by the facade's
//! `tests/macros.rs` (a proc-macro crate cannot run doctests that use its own macros).
//!
//! ```text
//! #[wakeful::main(worker_threads = 4)]
//! async fn main() -> std::io::Result<()> {
//!     let listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await?;
//!     Ok(())
//! }
//! ```
#![forbid(unsafe_code)]
use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ItemFn, Lit, MetaNameValue, Path, Token};

/// Runs an `async fn main` on a wakeful runtime.
///
/// ```text
/// #[wakeful::main]
/// async fn main() {
///     wakeful::spawn(async { println!("hello") }).await.unwrap();
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args.into(), item.into(), Kind::Main).unwrap_or_else(|e| e.to_compile_error().into())
}

/// Runs an `async fn` test on a fresh wakeful runtime (2 workers unless told otherwise).
///
/// ```text
/// #[wakeful::test(worker_threads = 4)]
/// async fn spawns() {
///     assert_eq!(wakeful::spawn(async { 1 }).await.unwrap(), 1);
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args.into(), item.into(), Kind::Test).unwrap_or_else(|e| e.to_compile_error().into())
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Main,
    Test,
}

struct Options {
    worker_threads: Option<usize>,
    krate: Path,
}

fn parse_options(args: TokenStream2) -> syn::Result<Options> {
    let mut opts = Options {
        worker_threads: None,
        krate: syn::parse_quote!(::wakeful),
    };
    let pairs = Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(args)?;
    for pair in pairs {
        let name = pair
            .path
            .get_ident()
            .map(|i| i.to_string())
            .unwrap_or_default();
        match (name.as_str(), &pair.value) {
            (
                "worker_threads",
                Expr::Lit(ExprLit {
                    lit: Lit::Int(n), ..
                }),
            ) => {
                let n: usize = n.base10_parse()?;
                if n == 0 {
                    return Err(syn::Error::new(
                        n.span(),
                        "`worker_threads` must be at least 1",
                    ));
                }
                opts.worker_threads = Some(n);
            }
            (
                "crate",
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }),
            ) => opts.krate = s.parse()?,
            ("worker_threads", v) => {
                return Err(syn::Error::new(
                    v.span(),
                    "`worker_threads` takes an integer",
                ))
            }
            ("crate", v) => {
                return Err(syn::Error::new(
                    v.span(),
                    "`crate` takes a string path, like \"::wakeful\"",
                ))
            }
            (other, _) => {
                return Err(syn::Error::new(
                    pair.path.span(),
                    format!(
                    "unknown option `{other}`: expected `worker_threads = N` or `crate = \"path\"`"
                ),
                ))
            }
        }
    }
    Ok(opts)
}

fn expand(args: TokenStream2, item: TokenStream2, kind: Kind) -> syn::Result<TokenStream> {
    let opts = parse_options(args)?;
    let mut func: ItemFn = syn::parse2(item)?;
    if func.sig.asyncness.take().is_none() {
        return Err(syn::Error::new(
            func.sig.fn_token.span(),
            "the function must be `async fn`",
        ));
    }
    if kind == Kind::Main && func.sig.ident != "main" {
        return Err(syn::Error::new(
            func.sig.ident.span(),
            "#[wakeful::main] goes on `async fn main`",
        ));
    }
    if !func.sig.inputs.is_empty() {
        return Err(syn::Error::new(
            func.sig.inputs.span(),
            "the function must take no arguments",
        ));
    }
    let krate = &opts.krate;
    let workers = match (opts.worker_threads, kind) {
        (Some(n), _) => quote! { builder.worker_threads(#n); },
        (None, Kind::Test) => quote! { builder.worker_threads(2); },
        (None, Kind::Main) => quote! {},
    };
    let body = &func.block;
    let span = body.span();
    let ret = match &func.sig.output {
        syn::ReturnType::Default => quote! { () },
        syn::ReturnType::Type(_, ty) => quote! { #ty },
    };
    let new_body: TokenStream2 = quote_spanned! {span=>
        {
            let body = async #body;
            let mut builder = #krate::runtime::Builder::new_multi_thread();
            #workers
            builder
                .build()
                .expect("failed to build the wakeful runtime")
                .block_on::<_>(body) as #ret
        }
    };
    func.block = syn::parse2(new_body)?;
    let test_attr = if kind == Kind::Test {
        quote! { #[::core::prelude::v1::test] }
    } else {
        quote! {}
    };
    Ok(quote! {
        #test_attr
        #func
    }
    .into())
}
