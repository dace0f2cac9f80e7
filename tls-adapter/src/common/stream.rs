//! The public face of each side: [`tls_stream!`] writes `server::TlsStream<IO>` and
//! `client::TlsStream<IO>`, and the `Future` impl that turns their handshake future
//! (`Accept`, `Connect`) into one.
//!
//! # Why a macro
//! All behaviour is generic already: it is [`Core`]'s, over any rustls connection. What is
//! left per side is a public struct with its own path, docs and `type_name`, and one-line
//! forwards from it to its `Core`. A single generic struct behind two type aliases would
//! change the public API: the aliases would be type aliases, not structs; rustdoc shows no
//! methods or trait impls on an alias of a type in a private module; `type_name` (in
//! `wakeful-test` messages) would name the private module. And the futures-io traits,
//! being foreign, cannot get one blanket impl over a private trait. So each side invokes
//! this macro once; `tokio_io.rs` does the same for tokio's traits.
//!
//! # Invariants of the generated stream
//! - It exists only after a completed handshake: its field is crate-private, and the only
//!   constructor is the generated handshake future's `Future` impl, on what its
//!   `MidHandshake` resolved to.
//! - It adds no state and no behaviour: every `poll_*` is the `Core` state machine's, so
//!   the close contract of the crate docs and the rules of the `common` module docs hold
//!   unchanged.
//!
//! [`Core`]: super::Core

/// Defines `TlsStream<IO>` over `Core<IO, $conn>` (the docs before `pub struct` are the
/// struct's, those before `fn get_ref` the method's), its methods, its futures-io impls, and
/// `Future` for the handshake future `$handshake<IO>` (a tuple struct over
/// `MidHandshake<IO, $conn>` that the caller defines). See the module docs.
macro_rules! tls_stream {
    (
        $(#[$struct_doc:meta])*
        pub struct TlsStream<IO> over $conn:ty, made by $handshake:ident;

        $(#[$get_ref_doc:meta])*
        fn get_ref;
    ) => {
        impl<IO> ::std::future::Future for $handshake<IO>
        where
            IO: ::futures_io::AsyncRead + ::futures_io::AsyncWrite + Unpin,
        {
            type Output = ::std::io::Result<TlsStream<IO>>;

            fn poll(
                mut self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Self::Output> {
                ::std::future::Future::poll(::std::pin::Pin::new(&mut self.0), cx)
                    .map_ok(|core| TlsStream { core })
            }
        }

        $(#[$struct_doc])*
        #[derive(Debug)]
        pub struct TlsStream<IO> {
            pub(crate) core: $crate::common::Core<IO, $conn>,
        }

        impl<IO> TlsStream<IO> {
            $(#[$get_ref_doc])*
            pub fn get_ref(&self) -> (&IO, &$conn) {
                (&self.core.io, &self.core.conn)
            }

            /// Mutable access to both. Reading or writing the transport directly corrupts the
            /// TLS stream.
            pub fn get_mut(&mut self) -> (&mut IO, &mut $conn) {
                (&mut self.core.io, &mut self.core.conn)
            }

            /// Takes the transport and the connection apart.
            ///
            /// With read-ahead on ([`set_read_ahead`](Self::set_read_ahead)), the bytes
            /// read ahead are handed to the connection first; rustls refuses input while
            /// it holds 16 KiB of unread plaintext, and any it refuses are dropped (up to
            /// four records, about 65 KiB). Use [`into_parts`](Self::into_parts) to keep
            /// them. A transport error a read met after the bytes it returned (answered by
            /// the next read) is dropped, here and by `into_parts`: the transport itself
            /// reports what state it is in.
            pub fn into_inner(self) -> (IO, $conn) {
                self.core.into_inner()
            }

            /// Takes the stream apart without losing a byte: the transport, the
            /// connection, and the TLS bytes read from the transport ahead of the
            /// connection (empty unless read-ahead is on), which come before the
            /// transport's next bytes.
            pub fn into_parts(self) -> (IO, $conn, Vec<u8>) {
                self.core.into_parts()
            }

            /// Reads the transport ahead of rustls (off by default). rustls takes at most
            /// about 4 KiB per read, so fed directly a bulk transfer costs one transport
            /// read per 4 KiB; with read-ahead on, once a read shows a bulk flow, the stream
            /// reads up to 65 KiB at a time into a buffer of its own and feeds rustls from
            /// it. The buffer is freed when the flow goes quiet, so connections carrying
            /// small messages never hold one. Turning it off keeps the bytes already read
            /// ahead: they are delivered first.
            pub fn set_read_ahead(&mut self, enabled: bool) {
                self.core.set_read_ahead(enabled);
            }
        }

        impl<IO: ::futures_io::AsyncRead + ::futures_io::AsyncWrite + Unpin> ::futures_io::AsyncRead
            for TlsStream<IO>
        {
            fn poll_read(
                mut self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut [u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.core.poll_read(cx, buf)
            }
        }

        impl<IO: ::futures_io::AsyncRead + ::futures_io::AsyncWrite + Unpin> ::futures_io::AsyncWrite
            for TlsStream<IO>
        {
            fn poll_write(
                mut self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &[u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.core.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                mut self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.core.poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                mut self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.core.poll_flush(cx)
            }

            fn poll_close(
                mut self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.core.poll_close(cx)
            }
        }
    };
}

pub(crate) use tls_stream;
