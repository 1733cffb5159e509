//! The client-library catalogue: what mail libraries, TLS stacks and operating systems print
//! when sending fails, what it usually means for SMTP, the likely causes and the fix. Data only;
//! [`find`] matches it against a text.
//!
//! The messages are the libraries' own (their sources and documentation: OpenSSL's verify and
//! SSL error strings, nodemailer's error codes, PHPMailer's troubleshooting guide, Python's
//! smtplib and ssl documentation, Microsoft's System.Net.Mail and MailKit's documentation, the
//! Jakarta Mail FAQ, POSIX and Windows socket errors, curl's and swaks' messages). The meanings,
//! causes and fixes are written for this tool.

/// Where a message comes from: one way to recognise an entry, and who prints it that way.
pub(super) struct Pattern {
    /// Pieces that must all occur in the text (ASCII lower case; compared case-insensitively;
    /// a piece that starts or ends with a letter or digit must start or end a word there).
    pub all: &'static [&'static str],
    /// The library or ecosystem that prints it.
    pub library: &'static str,
}

/// How much a message says by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    /// It names a cause: the wrong TLS mode, an untrusted certificate, a refused port.
    Cause,
    /// A wrapper that only says that something failed (`Failure sending mail`): shown when no
    /// message in the text names a cause.
    Symptom,
}

/// One entry of the catalogue.
pub(super) struct ClientError {
    /// Stable name, for tests and `hides`.
    pub id: &'static str,
    /// Ways to recognise it, most specific first; the first that matches names the library.
    pub patterns: &'static [Pattern],
    /// Whether it names a cause.
    pub level: Level,
    /// What it usually means for sending mail.
    pub meaning: &'static str,
    /// The likely causes, most common first.
    pub causes: &'static [&'static str],
    /// What to change.
    pub fix: &'static str,
    /// `smtp-doctor check` flags that look into it (together one valid command line).
    pub flags: &'static [&'static str],
    /// Entries this one makes redundant when both match (`Greeting never received` comes with
    /// nodemailer's `ETIMEDOUT`, which otherwise means the connection itself timed out).
    pub hides: &'static [&'static str],
}

const OPENSSL: &str = "OpenSSL";
const NODE: &str = "nodemailer";
const NODE_TLS: &str = "Node.js TLS";
const PYTHON: &str = "Python smtplib";
const PYTHON_SSL: &str = "Python ssl";
const PYTHON_OS: &str = "Python";
const DOTNET: &str = ".NET System.Net.Mail";
const DOTNET_TLS: &str = ".NET SslStream";
const WINDOWS: &str = "Windows sockets";
const MAILKIT: &str = "MailKit";
const PHPMAILER: &str = "PHPMailer";
const PHP: &str = "PHP streams";
const JAKARTA: &str = "Jakarta Mail (JavaMail)";
const JAVA: &str = "Java";
const GO: &str = "Go";
const CURL: &str = "curl";
const SWAKS: &str = "swaks";
const SOCKETS: &str = "operating system sockets";
const RESOLVER: &str = "operating system resolver";

const fn p(library: &'static str, all: &'static [&'static str]) -> Pattern {
    Pattern { all, library }
}

/// A cause-level entry with no flags and nothing hidden; the rows below override fields.
const fn cause(
    id: &'static str,
    patterns: &'static [Pattern],
    meaning: &'static str,
    causes: &'static [&'static str],
    fix: &'static str,
) -> ClientError {
    ClientError {
        id,
        patterns,
        level: Level::Cause,
        meaning,
        causes,
        fix,
        flags: &[],
        hides: &[],
    }
}

/// The catalogue, in the order matches are shown (most specific first).
pub(super) const CLIENT_ERRORS: &[ClientError] = &[
    // ---- TLS mode: implicit TLS against a plain-text port, and the reverse ----
    ClientError {
        flags: &["--port 587,465"],
        ..cause(
            "tls.plaintext_answer",
            &[
                p(OPENSSL, &["wrong version number"]),
                p(OPENSSL, &["wrong_version_number"]),
                p(JAVA, &["unrecognized ssl message"]),
                p(GO, &["first record does not look like a tls handshake"]),
                p(OPENSSL, &["ssl23_get_server_hello", "unknown protocol"]),
            ],
            "The client started TLS at once (implicit TLS), but the server answered in plain text: the bytes of its SMTP greeting are not TLS.",
            &[
                "Implicit TLS (\"SSL/TLS\", secure: true, SMTP_SSL, SslOnConnect, mail.smtp.ssl.enable) is set for port 587 or 25, which start in plain text and upgrade with STARTTLS.",
                "The server or port offers no TLS at all.",
                "Something in the path (an antivirus, a proxy) answers in plain text.",
            ],
            "On 587 and 25 use STARTTLS: nodemailer secure: false, Python SMTP() then starttls(), PHPMailer ENCRYPTION_STARTTLS, MailKit SecureSocketOptions.StartTls, Jakarta Mail mail.smtp.starttls.enable=true. Use implicit TLS only on 465.",
        )
    },
    ClientError {
        flags: &["--port 465,587"],
        hides: &["network.timeout"],
        ..cause(
            "smtp.no_greeting",
            &[p(NODE, &["greeting never received"])],
            "The connection was made, but the server's greeting (220) did not come within the client's wait.",
            &[
                "The client waits for a plain-text greeting on the implicit-TLS port 465, where the server waits for the TLS handshake (nodemailer: port 465 with secure: false).",
                "A slow or overloaded server, or one that delays its greeting on purpose for suspicious clients.",
                "A firewall or antivirus accepts the connection but passes nothing on.",
            ],
            "On 465 turn implicit TLS on (nodemailer secure: true); on 587 leave it off and use STARTTLS. If the settings fit the port, the server or the path is slow.",
        )
    },
    ClientError {
        flags: &["--port 587,465"],
        ..cause(
            "smtp.starttls_not_offered",
            &[
                p(PYTHON, &["smtpnotsupportederror", "starttls"]),
                p(PYTHON, &["starttls extension not supported by server"]),
                p(
                    JAKARTA,
                    &["starttls is required but host does not support starttls"],
                ),
                p(SWAKS, &["host did not advertise starttls"]),
            ],
            "The server did not offer STARTTLS in its EHLO reply, so the client could not upgrade the connection to TLS.",
            &[
                "The connection is already encrypted: implicit TLS (SMTP_SSL, port 465) and then STARTTLS on top; inside TLS the server no longer offers it.",
                "The port or server offers no TLS (a plain relay, a local test server).",
                "Something in the path (an ISP, an antivirus, a firewall) removes STARTTLS from the server's reply.",
            ],
            "With implicit TLS (port 465, SMTP_SSL) do not call starttls(); on 587 make sure the client reaches the provider's host. `smtp-doctor check` shows whether STARTTLS is offered and whether something strips it.",
        )
    },
    ClientError {
        flags: &["--port 587,465"],
        ..cause(
            "smtp.auth_not_offered",
            &[p(PYTHON, &["smtp auth extension not supported by server"])],
            "The server did not offer AUTH, so the client could not log in.",
            &[
                "The login came before STARTTLS: many servers offer AUTH only inside TLS.",
                "A port or host for server-to-server mail (25, an MX host) rather than the submission service.",
                "A relay that accepts mail by IP address and offers no logins.",
            ],
            "Start TLS first (starttls() before login(), or port 465 with SMTP_SSL), and use the provider's submission host on 587 or 465.",
        )
    },
    // ---- Certificates ----
    ClientError {
        flags: &["--ca-file PEM"],
        ..cause(
            "java.pkix",
            &[
                p(JAVA, &["pkix path building failed"]),
                p(JAVA, &["unable to find valid certification path"]),
            ],
            "Java could not build a certificate path from the server's certificate to a CA in its trust store.",
            &[
                "The server uses a private CA or a self-signed certificate.",
                "A TLS-inspecting antivirus or proxy presents its own certificates.",
                "An old JDK whose cacerts lacks the CA, or a custom trust store (javax.net.ssl.trustStore) without it.",
                "The server does not send its intermediate certificate.",
            ],
            "Import the CA certificate into the trust store Java uses (keytool -importcert), update the JDK, or fix the server's chain; mail.smtp.ssl.trust switches the check off for a host and is a last resort.",
        )
    },
    ClientError {
        flags: &["--ca-file PEM"],
        ..cause(
            "tls.unknown_issuer",
            &[
                p(OPENSSL, &["unable to get local issuer certificate"]),
                p(OPENSSL, &["unable to get issuer certificate"]),
                p(OPENSSL, &["unable_to_get_issuer_cert_locally"]),
                p(NODE_TLS, &["unable to verify the first certificate"]),
                p(NODE_TLS, &["unable_to_verify_leaf_signature"]),
                p(GO, &["certificate signed by unknown authority"]),
            ],
            "The server's certificate chain does not lead to a certificate authority this client trusts.",
            &[
                "The server does not send its intermediate certificate(s): an incomplete chain.",
                "The client's CA bundle is missing or old (a minimal container image without ca-certificates, an old runtime, Python on macOS without its certificates installed).",
                "A private CA (a company relay), or a TLS-inspecting antivirus or proxy whose CA the client does not trust.",
            ],
            "Server side: send the full chain (leaf and intermediates). Client side: install or update the system's CA certificates, or give the private CA to the client. Do not turn verification off.",
        )
    },
    ClientError {
        flags: &["--ca-file PEM"],
        ..cause(
            "tls.self_signed",
            &[
                p(OPENSSL, &["self signed certificate"]),
                p(OPENSSL, &["self-signed certificate"]),
                p(OPENSSL, &["depth_zero_self_signed_cert"]),
                p(OPENSSL, &["self_signed_cert_in_chain"]),
            ],
            "The server presented a self-signed certificate, or a chain that ends in a self-signed root the client does not trust.",
            &[
                "The mail server still uses the certificate its installation made (Postfix's snakeoil, a control panel's own).",
                "A company's private CA.",
                "\"self signed certificate in certificate chain\" often means an antivirus or proxy that inspects TLS with its own root.",
            ],
            "Install a certificate from a public CA (Let's Encrypt) on the server; for a private CA give its root to the client; for an inspecting antivirus or proxy, exclude the mail ports or trust its root. Do not turn verification off.",
        )
    },
    cause(
        "tls.expired",
        &[
            p(OPENSSL, &["certificate has expired"]),
            p(OPENSSL, &["cert_has_expired"]),
            p(JAVA, &["certificateexpiredexception"]),
            p(GO, &["x509: certificate has expired"]),
        ],
        "A certificate of the server's chain has expired, or the client's clock is wrong.",
        &[
            "The server's certificate was not renewed, or it was renewed but the mail server was not reloaded.",
            "An expired intermediate or root in the chain the server sends (an old cross-signed root).",
            "The client machine's date and time are far off.",
        ],
        "Renew the certificate and reload the mail server, send the current chain, and check the client's date and time.",
    ),
    ClientError {
        flags: &["--servername NAME"],
        ..cause(
            "tls.name_mismatch",
            &[
                p(OPENSSL, &["hostname mismatch"]),
                p(PYTHON_SSL, &["certificate is not valid for"]),
                p(NODE_TLS, &["does not match certificate's altnames"]),
                p(NODE_TLS, &["err_tls_cert_altname_invalid"]),
                p(JAVA, &["no subject alternative dns name matching"]),
                p(JAVA, &["no subject alternative names matching"]),
                p(PHP, &["did not match expected cn"]),
                p(DOTNET_TLS, &["remotecertificatenamemismatch"]),
                p(CURL, &["no alternative certificate subject name matches"]),
                p(GO, &["x509: certificate is valid for"]),
            ],
            "The server's certificate does not name the host the client connected to.",
            &[
                "The client uses another name for the server (an alias, the MX host, an IP address) than the one on its certificate, e.g. mail.example.com where the provider's certificate says smtp.provider.example.",
                "Shared hosting: the server presents the hosting company's certificate.",
                "An interceptor presents a certificate for another name.",
            ],
            "Set the client's host to a name the certificate lists (the provider's documented host name); otherwise install a certificate that covers the name used.",
        )
    },
    ClientError {
        level: Level::Symptom,
        ..cause(
            "tls.verify_failed",
            &[
                p(OPENSSL, &["certificate verify failed"]),
                p(OPENSSL, &["certificate_verify_failed"]),
                p(PYTHON_SSL, &["sslcertverificationerror"]),
                p(DOTNET_TLS, &["remote certificate is invalid"]),
            ],
            "The client could not verify the server's certificate, so it stopped before sending anything.",
            &[
                "An incomplete chain, an untrusted or self-signed CA, an expired certificate, or a name that does not match; the words after the message name which.",
            ],
            "Read the reason after the message; `smtp-doctor check HOST` shows the chain, whether it is trusted and the names it covers.",
        )
    },
    // ---- TLS negotiation ----
    cause(
        "tls.handshake_failure",
        &[
            p(OPENSSL, &["sslv3 alert handshake failure"]),
            p(OPENSSL, &["sslv3_alert_handshake_failure"]),
            p(OPENSSL, &["alert handshake failure"]),
            p(JAVA, &["received fatal alert: handshake_failure"]),
        ],
        "The server ended the TLS handshake with a handshake_failure alert: the two sides found no TLS version, cipher or key exchange they both accept.",
        &[
            "An old client or TLS library (TLS 1.0 or 1.1 only, old ciphers) against a server that requires current ones.",
            "A server with only legacy ciphers against a current client (OpenSSL 3 refuses many by default).",
            "The client sends no SNI host name (it connects by IP address) and the server needs one to choose its certificate.",
        ],
        "Update the client's runtime or TLS library and enable TLS 1.2 or 1.3; connect by host name so that SNI is sent. `smtp-doctor check` shows the version and cipher the server negotiates.",
    ),
    cause(
        "tls.version_refused_by_server",
        &[
            p(OPENSSL, &["tlsv1 alert protocol version"]),
            p(OPENSSL, &["tlsv1_alert_protocol_version"]),
            p(JAVA, &["received fatal alert: protocol_version"]),
        ],
        "The server refused the TLS version the client offered (a protocol_version alert): the client's TLS is too old for it.",
        &[
            "The client speaks only TLS 1.0 or 1.1, which most providers refuse (Microsoft 365 also answers 421 4.7.66).",
            "An old runtime's defaults: .NET Framework before 4.7, Java 7, old PHP or OpenSSL 1.0.",
        ],
        "Enable TLS 1.2 or newer in the client by updating the runtime or library (.NET Framework: target 4.7 or later, or set ServicePointManager.SecurityProtocol to Tls12). For Microsoft 365 devices that cannot, there is the opt-in endpoint smtp-legacy.office365.com.",
    ),
    cause(
        "tls.legacy_server",
        &[
            p(OPENSSL, &["unsupported protocol"]),
            p(OPENSSL, &["no protocols available"]),
            p(OPENSSL, &["dh key too small"]),
            p(JAVA, &["no appropriate protocol"]),
        ],
        "The client refused the server's TLS: the server offers only a version or key the client's library no longer allows (TLS 1.0 or 1.1, a small Diffie-Hellman key).",
        &[
            "An old mail server that speaks only TLS 1.0 or 1.1 (RFC 8996 deprecates both).",
            "Weak Diffie-Hellman parameters on the server (\"dh key too small\").",
            "A client set to a narrow list of protocols (Jakarta Mail mail.smtp.ssl.protocols).",
        ],
        "Upgrade the server's TLS (TLS 1.2 or newer, ECDHE or 2048-bit DH). Only as a stopgap, allow the old version in the client for this one server.",
    ),
    ClientError {
        flags: &["--port 587,465"],
        ..cause(
            "tls.closed_during_handshake",
            &[
                p(OPENSSL, &["unexpected eof while reading"]),
                p(OPENSSL, &["unexpected_eof_while_reading"]),
                p(PYTHON_SSL, &["eof occurred in violation of protocol"]),
                p(PYTHON_SSL, &["ssleoferror"]),
                p(
                    NODE_TLS,
                    &["socket disconnected before secure tls connection was established"],
                ),
                p(JAVA, &["remote host terminated the handshake"]),
                p(JAVA, &["remote host closed connection during handshake"]),
                p(
                    DOTNET_TLS,
                    &["remote party has closed the transport stream"],
                ),
            ],
            "The connection was closed in the middle of the TLS handshake, without a TLS alert.",
            &[
                "A TLS mode that does not fit the port (implicit TLS where STARTTLS is expected, or the reverse): the server gives up and closes.",
                "A firewall, proxy or antivirus cutting TLS connections.",
                "The server refuses the client's TLS version or address and just closes.",
                "OpenSSL 3 reports a peer that closes without close_notify this way.",
            ],
            "Check that port and TLS mode fit (587 with STARTTLS, 465 with implicit TLS) and which TLS versions the client allows; `smtp-doctor check` shows what each port does.",
        )
    },
    // ---- .NET System.Net.Mail and MailKit ----
    ClientError {
        flags: &["--port 587", "--user NAME"],
        ..cause(
            "dotnet.secure_connection_required",
            &[p(
                DOTNET,
                &["smtp server requires a secure connection or the client was not authenticated"],
            )],
            ".NET's SmtpClient got a refusal (usually 530): the server wants TLS and a login before it takes the message.",
            &[
                "EnableSsl is false on a port that requires STARTTLS (587).",
                "No credentials were sent: UseDefaultCredentials is true, or was set after Credentials (which resets them).",
                "The login was refused: a wrong password, an app password needed, SMTP AUTH switched off for a Microsoft 365 mailbox.",
            ],
            "Set EnableSsl = true, then UseDefaultCredentials = false before Credentials = new NetworkCredential(user, secret), on port 587; the server's response quoted after the message says which part failed.",
        )
    },
    ClientError {
        flags: &["--port 587,465"],
        ..cause(
            "dotnet.connection_closed",
            &[
                p(
                    DOTNET,
                    &["unable to read data from the transport connection"],
                ),
                p(DOTNET, &["net_io_connectionclosed"]),
            ],
            "The server closed the connection while .NET's SmtpClient waited for a reply.",
            &[
                "Port 465: System.Net.Mail speaks only STARTTLS, not implicit TLS, so the server waiting for a handshake closes.",
                "An old .NET Framework offering only TLS 1.0 to a server that wants TLS 1.2.",
                "The server turned the client away (its address, too many connections) and hung up.",
            ],
            "Use port 587 with EnableSsl = true (STARTTLS); for port 465 use a library with implicit TLS (MailKit with SecureSocketOptions.SslOnConnect); make sure TLS 1.2 is enabled.",
        )
    },
    ClientError {
        flags: &["--port 587,465"],
        ..cause(
            "dotnet.timeout",
            &[p(DOTNET, &["smtpexception", "operation has timed out"])],
            ".NET's SmtpClient gave up waiting (SmtpClient.Timeout, 100 seconds by default).",
            &[
                "Port 465 with EnableSsl: SmtpClient waits for a plain-text greeting that never comes (it has no implicit TLS).",
                "The port is blocked and the connection hangs.",
                "A slow server, or a large message on a slow link.",
            ],
            "Use port 587 with EnableSsl = true; `smtp-doctor ports` tells whether this network blocks the port.",
        )
    },
    ClientError {
        level: Level::Symptom,
        ..cause(
            "dotnet.failure_sending",
            &[p(DOTNET, &["failure sending mail"])],
            "SmtpClient's wrapper for any failure while sending; the cause is in the inner exception.",
            &[
                "The inner exception (IOException, SocketException, AuthenticationException) names it.",
            ],
            "Log the whole exception with its inner exceptions (ex.ToString()) and read the innermost message.",
        )
    },
    ClientError {
        level: Level::Symptom,
        ..cause(
            "dotnet.unable_to_connect",
            &[p(DOTNET, &["unable to connect to the remote server"])],
            "The TCP connection to the server failed; the inner SocketException says how.",
            &["A refused port, a timeout (blocked port), or a name that does not resolve."],
            "Read the inner exception; `smtp-doctor check HOST` probes the server's ports.",
        )
    },
    ClientError {
        level: Level::Symptom,
        ..cause(
            "dotnet.mailbox_unavailable",
            &[p(DOTNET, &["mailbox unavailable", "server response was"])],
            "The server refused the sender or a recipient; its response follows the message.",
            &[
                "See the server's response: an unknown recipient, a sender the login may not use, relaying denied.",
            ],
            "Read the server's response after the message.",
        )
    },
    ClientError {
        level: Level::Symptom,
        flags: &["--port 587,465"],
        ..cause(
            "mailkit.handshake",
            &[
                p(MAILKIT, &["sslhandshakeexception"]),
                p(
                    MAILKIT,
                    &["error occurred while attempting to establish an ssl or tls connection"],
                ),
            ],
            "MailKit could not complete the TLS handshake with the server.",
            &[
                "SecureSocketOptions.SslOnConnect on a STARTTLS port (587), or StartTls on 465.",
                "The server's certificate could not be validated (the system's CA store, ServerCertificateValidationCallback).",
                "No TLS version or cipher in common.",
            ],
            "Use SecureSocketOptions.StartTls for 587 and SslOnConnect for 465; read the inner exception for a certificate error. `smtp-doctor check` shows the server's chain and TLS version.",
        )
    },
    // ---- Logins ----
    ClientError {
        flags: &["--user NAME"],
        ..cause(
            "client.login_refused",
            &[
                p(NODE, &["eauth"]),
                p(NODE, &["invalid login"]),
                p(PYTHON, &["smtpauthenticationerror"]),
                p(JAKARTA, &["authenticationfailedexception"]),
                p(MAILKIT, &["mailkit.security.authenticationexception"]),
                p(PHPMAILER, &["could not authenticate"]),
                p(CURL, &["login denied"]),
            ],
            "The server refused the login; its reply, when the text quotes it, says why.",
            &[
                "A wrong user name or password; the user name is often the full e-mail address.",
                "The provider wants an app password (2-step verification is on), an API key, or OAuth 2 instead of the account password.",
                "SMTP AUTH is switched off for the account (Microsoft 365), or basic authentication is blocked.",
                "Too many failed attempts locked the account for a while.",
            ],
            "Check the user name and the secret, then the provider's rules (app password, SMTP AUTH enabled); `smtp-doctor check HOST --user NAME` tries one login and explains the server's answer.",
        )
    },
    ClientError {
        flags: &["--user NAME"],
        hides: &["client.login_refused"],
        ..cause(
            "client.no_credentials",
            &[
                p(NODE, &["missing credentials for"]),
                p(JAKARTA, &["no password specified"]),
            ],
            "The client had no password (or no user name) to log in with.",
            &[
                "The environment variable or setting holding the secret is empty or not loaded (a .env file not read, a secret not mounted).",
                "nodemailer's auth object has a user but no pass, or incomplete OAuth 2 fields.",
                "Jakarta Mail: mail.smtp.auth=true, but Transport.connect or the Authenticator got no password.",
            ],
            "Make sure the secret reaches the program (log its length, never its value) and is passed to the transport with the user name.",
        )
    },
    // ---- Connecting, as the libraries say it ----
    ClientError {
        level: Level::Symptom,
        flags: &["--port 587,465"],
        ..cause(
            "client.connect_failed",
            &[
                p(PHPMAILER, &["smtp connect() failed"]),
                p(PHPMAILER, &["smtp error", "could not connect to smtp host"]),
                p(PHPMAILER, &["failed to connect to server"]),
                p(JAKARTA, &["could not connect to smtp host"]),
                p(JAKARTA, &["mailconnectexception"]),
                p(JAKARTA, &["couldn't connect to host"]),
                p(NODE, &["econnection"]),
            ],
            "The mail library could not open, secure or log in to the SMTP session; its debug output or nested error says which step failed.",
            &[
                "A wrong host or port, or a blocked port (many hosting companies block outbound SMTP).",
                "A TLS mode that does not fit the port (PHPMailer ENCRYPTION_SMTPS on 587, ENCRYPTION_STARTTLS on 465).",
                "Certificate verification failed (an old CA bundle, a hosting company's interception).",
                "PHPMailer also reports a refused login this way.",
            ],
            "Turn on the library's debug output (PHPMailer SMTPDebug = SMTP::DEBUG_SERVER, Jakarta Mail mail.debug=true) to see the failing step; use 587 with STARTTLS or 465 with implicit TLS; `smtp-doctor ports` tells whether this network blocks the ports.",
        )
    },
    ClientError {
        level: Level::Symptom,
        ..cause(
            "java.starttls_failed",
            &[p(JAKARTA, &["could not convert socket to tls"])],
            "Jakarta Mail's STARTTLS handshake failed; the nested exception says why.",
            &[
                "An untrusted certificate (PKIX path building failed).",
                "No TLS version in common (No appropriate protocol): an old JDK or an old server.",
                "A private CA not in the trust store.",
            ],
            "Read the nested exception; set mail.smtp.ssl.protocols=TLSv1.2 if the JDK's defaults are the issue, and fix the trust store for PKIX errors.",
        )
    },
    ClientError {
        level: Level::Symptom,
        ..cause(
            "node.socket_error",
            &[p(NODE, &["esocket"])],
            "nodemailer's code for a socket or TLS error; the message before it names the cause.",
            &[
                "A TLS error (wrong version number, a certificate), a reset, or a refused connection.",
            ],
            "Read the message the code belongs to; `smtp-doctor check HOST` shows what the server does.",
        )
    },
    ClientError {
        level: Level::Symptom,
        ..cause(
            "python.ssl_error",
            &[p(PYTHON_SSL, &["sslerror"])],
            "Python's ssl module reports a TLS failure; the bracketed OpenSSL reason says which.",
            &[
                "A TLS mode that does not fit the port, a certificate problem, or no common TLS version.",
            ],
            "Read the reason in brackets ([SSL: ...]); `smtp-doctor check HOST` shows the server's TLS.",
        )
    },
    // ---- Replies the libraries wrap ----
    ClientError {
        flags: &["--user NAME", "--send-to ADDR"],
        ..cause(
            "client.envelope_refused",
            &[
                p(NODE, &["eenvelope"]),
                p(NODE, &["no recipients defined"]),
                p(NODE, &["all recipients were rejected"]),
            ],
            "The envelope was refused or incomplete: no recipients, or the server refused the sender or every recipient.",
            &[
                "The to, cc and bcc fields are empty after processing (an undefined variable).",
                "The server refused the sender (not one the login may use) or the recipients (unknown, relaying not allowed); its reply follows.",
            ],
            "Check the message's from and to values, and read the server's reply in the error for the reason.",
        )
    },
    ClientError {
        level: Level::Symptom,
        ..cause(
            "python.sender_refused",
            &[p(PYTHON, &["smtpsenderrefused"])],
            "The server refused the sender address (MAIL FROM); its reply follows.",
            &[
                "A sender the login may not use, an unverified sender identity, or a sender domain the server distrusts.",
            ],
            "Send from the address you log in with (or a verified alias); read the server's reply.",
        )
    },
    ClientError {
        level: Level::Symptom,
        ..cause(
            "python.recipients_refused",
            &[p(PYTHON, &["smtprecipientsrefused"])],
            "The server refused every recipient; the reply for each follows.",
            &["Unknown recipients, or relaying denied because the session did not log in."],
            "Check the recipient addresses, and log in before sending to other domains.",
        )
    },
    ClientError {
        level: Level::Symptom,
        ..cause(
            "python.data_refused",
            &[p(PYTHON, &["smtpdataerror"])],
            "The server refused the message itself (after DATA); its reply follows.",
            &["Content or size rules, an unverified sender, or a spam filter."],
            "Read the server's reply for the rule.",
        )
    },
    cause(
        "python.greeting_refused",
        &[p(PYTHON, &["smtpconnecterror"])],
        "The server's greeting was not 220: it refuses the session (421 busy, 554 blocked).",
        &[
            "The server blocks or throttles this client's address.",
            "The server is overloaded or in maintenance.",
        ],
        "Read the code and text in the error; send again later, or from another network if this address is blocked.",
    ),
    // ---- Connections and DNS, as the operating system says it ----
    ClientError {
        flags: &["--port 587,465"],
        ..cause(
            "client.server_disconnected",
            &[
                p(PYTHON, &["smtpserverdisconnected"]),
                p(NODE, &["connection closed unexpectedly"]),
                p(NODE, &["unexpected socket close"]),
                p(MAILKIT, &["smtp server has unexpectedly disconnected"]),
                p(SWAKS, &["remote host closed connection unexpectedly"]),
            ],
            "The server closed the connection before the client expected it.",
            &[
                "A port and TLS mode that do not fit (plain SMTP on 465, implicit TLS on 587): the server gives up on the garbled start.",
                "The server turned the client away: its address is blocked or rate-limited, too many connections, or too many failed logins.",
                "A connection reused after the server timed it out, or used after quit() (Python: \"please run connect() first\").",
            ],
            "Use 587 with STARTTLS or 465 with implicit TLS (Python: SMTP_SSL for 465, SMTP and starttls() for 587); open a new connection for each batch. `smtp-doctor check HOST` shows how the server treats this client.",
        )
    },
    ClientError {
        flags: &["--port 25,587,465"],
        ..cause(
            "network.refused",
            &[
                p(NODE, &["econnrefused"]),
                p(PYTHON_OS, &["connectionrefusederror"]),
                p(WINDOWS, &["actively refused"]),
                p(WINDOWS, &["errno 10061"]),
                p(SOCKETS, &["connection refused"]),
                p(SOCKETS, &["[errno 111]"]),
            ],
            "Nothing accepted the connection: the server's host answered it with a reset.",
            &[
                "Nothing listens on that port: the service is down, or the provider does not offer this port.",
                "A firewall rejects the port.",
                "The host is wrong, such as localhost or 127.0.0.1 inside a container, where no mail server runs.",
            ],
            "Check host and port against the provider's documentation; in a container use the mail server's real name, not localhost. `smtp-doctor check HOST` probes 25, 587 and 465 at once.",
        )
    },
    ClientError {
        flags: &["--port 25,587,465"],
        ..cause(
            "network.timeout",
            &[
                p(NODE, &["etimedout"]),
                p(PYTHON_OS, &["timeouterror"]),
                p(PYTHON_OS, &["socket.timeout"]),
                p(PYTHON_OS, &["[errno 110]"]),
                p(
                    WINDOWS,
                    &["did not properly respond after a period of time"],
                ),
                p(WINDOWS, &["errno 10060"]),
                p(JAVA, &["connect timed out"]),
                p(JAVA, &["sockettimeoutexception"]),
                p(SOCKETS, &["connection timed out"]),
                p(SOCKETS, &["operation timed out"]),
            ],
            "No answer within the client's wait: the connection attempt (or a later reply) got nothing back.",
            &[
                "The network blocks the port: cloud providers (AWS, Azure, Google Cloud) and many ISPs block outbound port 25, and some networks 465 and 587 as well.",
                "A wrong host or port, or a host that is down.",
                "A plain-text client on the implicit-TLS port 465 waits for a greeting that never comes.",
            ],
            "Run `smtp-doctor ports` to see whether this network lets SMTP out; send on 587 or 465 rather than 25; check that the TLS mode fits the port.",
        )
    },
    cause(
        "dns.not_found",
        &[
            p(NODE, &["enotfound"]),
            p(NODE, &["edns"]),
            p(RESOLVER, &["name or service not known"]),
            p(RESOLVER, &["nodename nor servname provided"]),
            p(RESOLVER, &["no address associated with hostname"]),
            p(PYTHON_OS, &["getaddrinfo failed"]),
            p(JAVA, &["unknownhostexception"]),
            p(WINDOWS, &["no such host is known"]),
            p(CURL, &["could not resolve host"]),
            p(GO, &["no such host"]),
        ],
        "The host name could not be turned into an address: DNS says it does not exist, or has no address.",
        &[
            "A typo in the host name (smtp.gmial.com), or the host of an old provider.",
            "A name that exists only in an internal DNS, used from outside (or from a container with other DNS servers).",
            "Something else in the host setting: an e-mail address or a URL instead of a host name.",
        ],
        "Check the host name against the provider's documentation; `smtp-doctor check HOST` shows what DNS answers for it.",
    ),
    ClientError {
        flags: &["--resolver 1.1.1.1"],
        ..cause(
            "dns.temporary",
            &[
                p(NODE, &["eai_again"]),
                p(RESOLVER, &["temporary failure in name resolution"]),
                p(PYTHON_OS, &["[errno -3]"]),
            ],
            "DNS could not answer now: the resolver is unreachable or timed out.",
            &[
                "No network, or no DNS server configured (a container, a VPN that drops DNS).",
                "The DNS server is down or blocked.",
            ],
            "Check the machine's DNS configuration (resolv.conf, the container's network) and try again; `--resolver` makes smtp-doctor ask another DNS server.",
        )
    },
    cause(
        "network.no_route",
        &[
            p(SOCKETS, &["no route to host"]),
            p(NODE, &["ehostunreach"]),
            p(PYTHON_OS, &["[errno 113]"]),
            p(JAVA, &["noroutetohostexception"]),
        ],
        "The network has no way to the host: a router or firewall answered \"host unreachable\", or the host is down on the local network.",
        &[
            "A firewall that rejects with ICMP host unreachable or administratively prohibited.",
            "A wrong address (an old IP address, a private address of another network).",
            "The host is down.",
        ],
        "Check the address the name resolves to and the firewalls on the way; `smtp-doctor ports` tells whether the block is this network's.",
    ),
    ClientError {
        flags: &["-4"],
        ..cause(
            "network.unreachable",
            &[
                p(SOCKETS, &["network is unreachable"]),
                p(NODE, &["enetunreach"]),
                p(PYTHON_OS, &["[errno 101]"]),
            ],
            "This machine has no route to that network at all.",
            &[
                "The name has an IPv6 address (AAAA) and this machine has no IPv6 connectivity, but the client tried IPv6.",
                "No network (cable, Wi-Fi, a container without network).",
                "A VPN or routing table that does not cover the address.",
            ],
            "Make the client use IPv4 (Node.js: family: 4, or dns.setDefaultResultOrder('ipv4first')), or fix the IPv6 route; `smtp-doctor check HOST -4` compares.",
        )
    },
    ClientError {
        flags: &["--transcript"],
        ..cause(
            "network.reset",
            &[
                p(SOCKETS, &["connection reset by peer"]),
                p(NODE, &["econnreset"]),
                p(PYTHON_OS, &["connectionreseterror"]),
                p(PYTHON_OS, &["[errno 104]"]),
                p(WINDOWS, &["forcibly closed by the remote host"]),
                p(WINDOWS, &["errno 10054"]),
                p(JAVA, &["connection reset"]),
            ],
            "The other side, or something in between, aborted the connection with a reset.",
            &[
                "A TLS mode that does not fit the port: the server resets when the first bytes are not what it expects.",
                "A firewall, antivirus or proxy cutting SMTP.",
                "The server dropped the client: a blocked address, a rate limit, or an idle connection timed out.",
            ],
            "Check that port and TLS mode fit; try from another network, or with the antivirus's mail scanning off; `smtp-doctor check HOST --transcript` shows where the dialogue breaks.",
        )
    },
    cause(
        "network.broken_pipe",
        &[
            p(SOCKETS, &["broken pipe"]),
            p(NODE, &["epipe"]),
            p(PYTHON_OS, &["[errno 32]"]),
        ],
        "The client wrote to a connection the server had already closed.",
        &[
            "The server closed the session after a refusal or a timeout and the client kept writing.",
            "A pooled connection reused after the server dropped it.",
        ],
        "Open a new connection and look for the server's last reply before the close; `smtp-doctor check HOST` shows how the server treats this client.",
    ),
];

/// One entry found in a text: the entry, the pattern that matched and the words as written.
pub(super) struct Match {
    /// The entry.
    pub entry: &'static ClientError,
    /// The pattern that recognised it (its library).
    pub pattern: &'static Pattern,
    /// The matched words, as they appear in the text.
    pub matched: String,
}

/// Every entry the text shows: those naming a cause, or (when none does) the wrappers; minus
/// the entries another match hides; in catalogue order.
pub(super) fn find(text: &str) -> Vec<Match> {
    let lower = text.to_ascii_lowercase();
    let mut found: Vec<Match> = CLIENT_ERRORS
        .iter()
        .filter_map(|entry| {
            entry.patterns.iter().find_map(|pattern| {
                let spans: Option<Vec<(usize, usize)>> = pattern
                    .all
                    .iter()
                    .map(|piece| locate(&lower, piece))
                    .collect();
                spans.map(|spans| Match {
                    entry,
                    pattern,
                    matched: spans
                        .iter()
                        .map(|&(start, end)| &text[start..end])
                        .collect::<Vec<_>>()
                        .join(" ... "),
                })
            })
        })
        .collect();
    if found.iter().any(|m| m.entry.level == Level::Cause) {
        found.retain(|m| m.entry.level == Level::Cause);
    }
    let hidden: Vec<&str> = found.iter().flat_map(|m| m.entry.hides).copied().collect();
    found.retain(|m| !hidden.contains(&m.entry.id));
    found
}

/// Where `piece` first occurs in `lower` as words: a piece that starts (ends) with a letter or
/// digit must not continue a word there. Byte offsets into the text (ASCII lower-casing keeps
/// them).
fn locate(lower: &str, piece: &str) -> Option<(usize, usize)> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = lower.as_bytes();
    let first = piece.bytes().next()?;
    let last = piece.bytes().last()?;
    lower
        .match_indices(piece)
        .map(|(start, _)| (start, start + piece.len()))
        .find(|&(start, end)| {
            let open = !word(first) || start == 0 || !word(bytes[start - 1]);
            let close = !word(last) || end == bytes.len() || !word(bytes[end]);
            open && close
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<&'static str> {
        find(text).iter().map(|m| m.entry.id).collect()
    }

    #[test]
    fn the_catalogue_is_well_formed() {
        for (i, entry) in CLIENT_ERRORS.iter().enumerate() {
            assert!(!entry.patterns.is_empty(), "{}", entry.id);
            assert!(
                CLIENT_ERRORS[i + 1..].iter().all(|e| e.id != entry.id),
                "{}",
                entry.id
            );
            for pattern in entry.patterns {
                for piece in pattern.all {
                    assert_eq!(*piece, piece.to_ascii_lowercase(), "{}", entry.id);
                    assert!(!piece.is_empty(), "{}", entry.id);
                }
            }
            for hidden in entry.hides {
                assert!(CLIENT_ERRORS.iter().any(|e| e.id == *hidden), "{hidden}");
            }
            for flag in entry.flags {
                assert!(flag.starts_with('-'), "{}: {flag}", entry.id);
            }
            assert!(
                entry.meaning.ends_with('.') && entry.fix.ends_with('.'),
                "{}",
                entry.id
            );
        }
    }

    #[test]
    fn whole_words_only() {
        assert_eq!(
            ids("Error: connect ETIMEDOUT 192.0.2.1:587"),
            ["network.timeout"]
        );
        assert!(ids("the NETIMEDOUTS flag").is_empty());
        assert_eq!(ids("code: 'EAUTH'"), ["client.login_refused"]);
    }

    #[test]
    fn causes_hide_wrappers_and_named_entries() {
        let text = "System.Net.Mail.SmtpException: Failure sending mail. ---> System.IO.IOException: Unable to read data from the transport connection: net_io_connectionclosed.";
        assert_eq!(ids(text), ["dotnet.connection_closed"]);
        assert_eq!(
            ids("System.Net.Mail.SmtpException: Failure sending mail."),
            ["dotnet.failure_sending"]
        );
        assert_eq!(
            ids("Error: Greeting never received code: 'ETIMEDOUT'"),
            ["smtp.no_greeting"]
        );
        assert_eq!(
            ids("Error: Missing credentials for \"PLAIN\" code: 'EAUTH'"),
            ["client.no_credentials"]
        );
        let python = "ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1129)";
        assert_eq!(ids(python), ["tls.plaintext_answer"]);
    }

    #[test]
    fn the_first_pattern_names_the_library() {
        let found = find(
            "javax.mail.MessagingException: Could not connect to SMTP host: smtp.example.com, port: 465",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].pattern.library, JAKARTA);
        assert_eq!(found[0].matched, "Could not connect to SMTP host");
        let found = find("SMTP Error: Could not connect to SMTP host.");
        assert_eq!(found[0].pattern.library, PHPMAILER);
        assert_eq!(
            found[0].matched,
            "SMTP Error ... Could not connect to SMTP host"
        );
    }
}
