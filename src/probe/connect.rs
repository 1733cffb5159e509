//! The TCP connect, and who refused it when it failed. The kernel reports ICMP "host
//! unreachable" and "administratively prohibited" both as EHOSTUNREACH, and ICMP "port
//! unreachable" as ECONNREFUSED like a TCP reset; only the socket's error queue (`IP_RECVERR`,
//! Linux) has the ICMP type and code, and the address of the router that sent it. That is the
//! difference between "a firewall forbids this" and "there is no way there".

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::model::Unreachable;

/// A failed connect: the error, and who refused when the network did.
pub(super) struct Failure {
    /// What `connect` returned.
    pub(super) error: io::Error,
    /// The ICMP error or local firewall behind it, when known.
    pub(super) unreachable: Option<Unreachable>,
}

impl Failure {
    fn new(error: io::Error, icmp: Option<Unreachable>) -> Failure {
        // EPERM and EACCES come from this machine's own firewall (an output rule that drops or
        // rejects), never from the network.
        let unreachable = icmp.or_else(|| {
            matches!(error.raw_os_error(), Some(libc::EPERM) | Some(libc::EACCES))
                .then_some(Unreachable::LocalFirewall)
        });
        Failure { error, unreachable }
    }
}

/// A connected TCP stream that acknowledges what it reads at once.
///
/// Linux delays an acknowledgement (by up to 40 ms) hoping to send it with the next write. In
/// a dialogue that is a wait: after the TLS 1.3 handshake an OpenSSL-based server sends its
/// session tickets, and its next write (the greeting on 465, the EHLO reply) is held back by
/// its Nagle algorithm until they are acknowledged. `TCP_QUICKACK` switches the delay off, but
/// not for good (the kernel turns it back on by itself), so it is set again before every read.
/// Writes go out at once too (`TCP_NODELAY`): each command is one whole write.
pub(super) struct Tcp {
    inner: TcpStream,
}

impl Tcp {
    fn new(inner: TcpStream) -> Tcp {
        let _ = inner.set_nodelay(true);
        Tcp { inner }
    }

    /// The address this end of the connection has.
    pub(super) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    #[cfg(target_os = "linux")]
    fn quick_ack(&self) {
        // A failure only costs time; the read goes on.
        let _ = socket2::SockRef::from(&self.inner).set_tcp_quickack(true);
    }

    #[cfg(not(target_os = "linux"))]
    fn quick_ack(&self) {}
}

impl AsyncRead for Tcp {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.quick_ack();
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Connects to `address`; on failure says which ICMP error (if any) ended the attempt.
#[cfg(target_os = "linux")]
pub(super) async fn connect(address: SocketAddr) -> Result<Tcp, Failure> {
    use std::os::fd::AsFd;

    let v6 = address.is_ipv6();
    let socket = match address {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
    }
    .map_err(|e| Failure::new(e, None))?;
    // A second descriptor of the same socket: `connect` consumes the first and closes it on
    // failure, and the error queue is read afterwards. Without either, connect plainly.
    let errors = linux::set_recv_err(&socket, v6, true)
        .and_then(|()| socket.as_fd().try_clone_to_owned())
        .ok();
    match socket.connect(address).await {
        Ok(stream) => {
            // Back to the default for the dialogue: with IP_RECVERR an ICMP error on an
            // established connection would end it at once instead of counting as a soft error
            // (RFC 1122 section 4.2.3.9).
            let _ = linux::set_recv_err(&stream, v6, false);
            Ok(Tcp::new(stream))
        }
        Err(error) => {
            let icmp = errors
                .as_ref()
                .and_then(linux::icmp_error)
                .map(Unreachable::Icmp);
            Err(Failure::new(error, icmp))
        }
    }
}

/// Connects to `address`; elsewhere than Linux the ICMP details are not available.
#[cfg(not(target_os = "linux"))]
pub(super) async fn connect(address: SocketAddr) -> Result<Tcp, Failure> {
    TcpStream::connect(address)
        .await
        .map(Tcp::new)
        .map_err(|e| Failure::new(e, None))
}

#[cfg(target_os = "linux")]
mod linux {
    use std::io::{self, IoSliceMut};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::os::fd::{AsFd, AsRawFd};

    use nix::sys::socket::{
        ControlMessageOwned, MsgFlags, recvmsg, setsockopt, sockaddr_in, sockaddr_in6, sockopt,
    };

    use crate::model::IcmpError;

    /// Turns `IP_RECVERR` (`IPV6_RECVERR`) on or off: with it, ICMP errors are queued on the
    /// socket with their type, code and sender.
    pub(super) fn set_recv_err<F: AsFd>(socket: &F, v6: bool, on: bool) -> io::Result<()> {
        let set = if v6 {
            setsockopt(socket, sockopt::Ipv6RecvErr, &on)
        } else {
            setsockopt(socket, sockopt::Ipv4RecvErr, &on)
        };
        set.map_err(io::Error::from)
    }

    /// The first ICMP error waiting in the socket's error queue, without blocking.
    pub(super) fn icmp_error<F: AsRawFd>(socket: &F) -> Option<IcmpError> {
        // The queued error carries (part of) the offending packet as data; it is not needed,
        // and a short buffer only truncates it.
        let mut data = [0u8; 128];
        let mut iov = [IoSliceMut::new(&mut data)];
        // One `sock_extended_err` with the sender's address after it, in one control message;
        // the space of the larger (IPv6) address fits both families.
        let mut control = nix::cmsg_space!(libc::sock_extended_err, sockaddr_in6);
        // MSG_DONTWAIT: return at once when the queue is empty.
        let message = recvmsg::<()>(
            socket.as_raw_fd(),
            &mut iov,
            Some(&mut control),
            MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT,
        )
        .ok()?;
        message.cmsgs().ok()?.find_map(|cmsg| match cmsg {
            ControlMessageOwned::Ipv4RecvErr(ee, offender) => {
                parse(&ee, offender.and_then(|sa| sender_v4(&sa)))
            }
            ControlMessageOwned::Ipv6RecvErr(ee, offender) => {
                parse(&ee, offender.and_then(|sa| sender_v6(&sa)))
            }
            _ => None,
        })
    }

    /// The ICMP error a `sock_extended_err` describes; `None` for errors of another origin
    /// (local ones, timestamps, zero-copy notices).
    fn parse(ee: &libc::sock_extended_err, from: Option<IpAddr>) -> Option<IcmpError> {
        let v6 = match ee.ee_origin {
            libc::SO_EE_ORIGIN_ICMP => false,
            libc::SO_EE_ORIGIN_ICMP6 => true,
            _ => return None,
        };
        Some(IcmpError {
            v6,
            icmp_type: ee.ee_type,
            code: ee.ee_code,
            from,
        })
    }

    /// The sender's address (`SO_EE_OFFENDER`), when the kernel filled one in.
    fn sender_v4(sa: &sockaddr_in) -> Option<IpAddr> {
        (libc::c_int::from(sa.sin_family) == libc::AF_INET)
            .then(|| IpAddr::V4(Ipv4Addr::from(u32::from_be(sa.sin_addr.s_addr))))
    }

    /// The sender's address (`SO_EE_OFFENDER`), when the kernel filled one in.
    fn sender_v6(sa: &sockaddr_in6) -> Option<IpAddr> {
        (libc::c_int::from(sa.sin6_family) == libc::AF_INET6)
            .then(|| IpAddr::V6(Ipv6Addr::from(sa.sin6_addr.s6_addr)))
    }
}
