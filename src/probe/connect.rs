//! The TCP connect, and who refused it when it failed. The kernel reports ICMP "host
//! unreachable" and "administratively prohibited" both as EHOSTUNREACH, and ICMP "port
//! unreachable" as ECONNREFUSED like a TCP reset; only the socket's error queue (`IP_RECVERR`,
//! Linux) has the ICMP type and code, and the address of the router that sent it. That is the
//! difference between "a firewall forbids this" and "there is no way there".

use std::io;
use std::net::SocketAddr;

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

/// Connects to `address`; on failure says which ICMP error (if any) ended the attempt.
#[cfg(target_os = "linux")]
pub(super) async fn connect(address: SocketAddr) -> Result<TcpStream, Failure> {
    use std::os::fd::AsFd;

    let v6 = address.is_ipv6();
    let socket = match address {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
    }
    .map_err(|e| Failure::new(e, None))?;
    // A second descriptor of the same socket: `connect` consumes the first and closes it on
    // failure, and the error queue is read afterwards. Without either, connect plainly.
    let errors = linux::set_recv_err(socket.as_fd(), v6, true)
        .and_then(|()| socket.as_fd().try_clone_to_owned())
        .ok();
    match socket.connect(address).await {
        Ok(stream) => {
            // Back to the default for the dialogue: with IP_RECVERR an ICMP error on an
            // established connection would end it at once instead of counting as a soft error
            // (RFC 1122 section 4.2.3.9).
            let _ = linux::set_recv_err(stream.as_fd(), v6, false);
            Ok(stream)
        }
        Err(error) => {
            let icmp = errors
                .as_ref()
                .and_then(|fd| linux::icmp_error(fd.as_fd()))
                .map(Unreachable::Icmp);
            Err(Failure::new(error, icmp))
        }
    }
}

/// Connects to `address`; elsewhere than Linux the ICMP details are not available.
#[cfg(not(target_os = "linux"))]
pub(super) async fn connect(address: SocketAddr) -> Result<TcpStream, Failure> {
    TcpStream::connect(address)
        .await
        .map_err(|e| Failure::new(e, None))
}

#[cfg(target_os = "linux")]
mod linux {
    use std::io;
    use std::mem::size_of;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::os::fd::{AsRawFd, BorrowedFd};

    use crate::model::IcmpError;

    /// Turns `IP_RECVERR` (`IPV6_RECVERR`) on or off: with it, ICMP errors are queued on the
    /// socket with their type, code and sender.
    pub(super) fn set_recv_err(fd: BorrowedFd<'_>, v6: bool, on: bool) -> io::Result<()> {
        let (level, name) = if v6 {
            (libc::IPPROTO_IPV6, libc::IPV6_RECVERR)
        } else {
            (libc::IPPROTO_IP, libc::IP_RECVERR)
        };
        let value = libc::c_int::from(on);
        let len = libc::socklen_t::try_from(size_of::<libc::c_int>()).unwrap_or(4);
        // SAFETY: `fd` is an open socket borrowed for the call; the option value is a c_int
        // on the stack whose size is passed along.
        let rc = unsafe {
            libc::setsockopt(fd.as_raw_fd(), level, name, (&raw const value).cast(), len)
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// The first ICMP error waiting in the socket's error queue, without blocking.
    pub(super) fn icmp_error(fd: BorrowedFd<'_>) -> Option<IcmpError> {
        // u64 elements keep the control buffer aligned for `cmsghdr`.
        let mut control = [0u64; 64];
        let control_len = size_of::<[u64; 64]>();
        let mut data = [0u8; 128];
        let mut iov = libc::iovec {
            iov_base: data.as_mut_ptr().cast(),
            iov_len: data.len(),
        };
        // SAFETY: `msghdr` is plain old data; all zeroes is an empty header.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control_len as _;
        // SAFETY: `msg` points at `iov`, `data` and `control`, which outlive the call, with
        // their lengths; MSG_DONTWAIT makes it return at once when the queue is empty.
        let received = unsafe {
            libc::recvmsg(
                fd.as_raw_fd(),
                &raw mut msg,
                libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT,
            )
        };
        if received < 0 {
            return None;
        }
        let base = control.as_ptr() as usize;
        // SAFETY: `msg` was filled by recvmsg; CMSG_FIRSTHDR and CMSG_NXTHDR only return
        // headers that lie inside `msg_control`/`msg_controllen`, or null.
        let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(&raw const msg) };
        while !cmsg.is_null() {
            // SAFETY: a non-null header from CMSG_FIRSTHDR/CMSG_NXTHDR is inside `control`.
            let header = unsafe { std::ptr::read_unaligned(cmsg) };
            // SAFETY: as above; CMSG_DATA only offsets the header pointer.
            let payload = unsafe { libc::CMSG_DATA(cmsg) };
            // What the header claims, bounded by what the buffer really holds.
            // SAFETY: CMSG_LEN is a pure size computation.
            let header_len = unsafe { libc::CMSG_LEN(0) } as usize;
            let claimed = (header.cmsg_len as usize).saturating_sub(header_len);
            let available = (base + control_len).saturating_sub(payload as usize);
            let len = claimed.min(available);
            let ours = (header.cmsg_level == libc::IPPROTO_IP
                && header.cmsg_type == libc::IP_RECVERR)
                || (header.cmsg_level == libc::IPPROTO_IPV6
                    && header.cmsg_type == libc::IPV6_RECVERR);
            if ours && let Some(error) = parse(payload, len) {
                return Some(error);
            }
            // SAFETY: `cmsg` is a header of `msg`, as CMSG_NXTHDR requires.
            cmsg = unsafe { libc::CMSG_NXTHDR(&raw const msg, cmsg) };
        }
        None
    }

    /// A `sock_extended_err` and the sender address after it (`SO_EE_OFFENDER`), from `len`
    /// readable bytes at `payload`.
    fn parse(payload: *const u8, len: usize) -> Option<IcmpError> {
        let ee_size = size_of::<libc::sock_extended_err>();
        if len < ee_size {
            return None;
        }
        // SAFETY: `len` readable bytes start at `payload` (checked by the caller against the
        // buffer), at least `ee_size` of them; the read is unaligned-safe.
        let ee: libc::sock_extended_err = unsafe { std::ptr::read_unaligned(payload.cast()) };
        let v6 = match ee.ee_origin {
            libc::SO_EE_ORIGIN_ICMP => false,
            libc::SO_EE_ORIGIN_ICMP6 => true,
            _ => return None,
        };
        // SAFETY: the offset stays inside the `len` bytes (checked before each read below).
        let offender = unsafe { payload.add(ee_size) };
        let rest = len - ee_size;
        let from = sender(offender, rest);
        Some(IcmpError {
            v6,
            icmp_type: ee.ee_type,
            code: ee.ee_code,
            from,
        })
    }

    /// The address of a `sockaddr_in` or `sockaddr_in6` of `len` readable bytes at `at`.
    fn sender(at: *const u8, len: usize) -> Option<IpAddr> {
        if len < size_of::<libc::sa_family_t>() {
            return None;
        }
        // SAFETY: at least the family field is readable (checked above).
        let family = unsafe { std::ptr::read_unaligned(at.cast::<libc::sa_family_t>()) };
        match libc::c_int::from(family) {
            libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
                // SAFETY: a whole sockaddr_in is readable (checked by the guard).
                let sa = unsafe { std::ptr::read_unaligned(at.cast::<libc::sockaddr_in>()) };
                Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(sa.sin_addr.s_addr))))
            }
            libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
                // SAFETY: a whole sockaddr_in6 is readable (checked by the guard).
                let sa = unsafe { std::ptr::read_unaligned(at.cast::<libc::sockaddr_in6>()) };
                Some(IpAddr::V6(Ipv6Addr::from(sa.sin6_addr.s6_addr)))
            }
            _ => None,
        }
    }
}
