//! What the codes of a reply mean by themselves: the enhanced status codes of RFC 3463 section 3
//! and those registered later in the IANA "SMTP Enhanced Status Codes" registry (RFC 4954,
//! 5248, 6531, 6710, 7293, 7372, 7505, 8617, 8689), and the three-digit reply codes of RFC 5321
//! section 4.2 with those of RFC 3207, 4954 and 7504. The meanings are the RFCs' facts in our
//! own words; the fixes are ours.

use crate::smtp::EnhancedCode;

/// One `subject.detail` of an enhanced status code, whatever its class.
struct Status {
    subject: u16,
    detail: u16,
    meaning: &'static str,
    fix: &'static str,
    source: &'static str,
    flags: &'static [&'static str],
}

/// Shorthand for the table rows.
const fn status(
    subject: u16,
    detail: u16,
    source: &'static str,
    meaning: &'static str,
    fix: &'static str,
) -> Status {
    Status {
        subject,
        detail,
        meaning,
        fix,
        source,
        flags: &[],
    }
}

const RFC3463: &str = "RFC 3463";

/// Every `subject.detail` known: detail 0 of each subject is its "other or undefined" entry,
/// used for details no registry defines (a server's own, such as Microsoft's `5.7.139`).
const STATUSES: &[Status] = &[
    status(
        0,
        0,
        RFC3463,
        "Something failed that the server did not classify further.",
        "Read the rest of the server's text: it is the only clue. If it says nothing useful, ask the server's operator, giving the time and the whole reply.",
    ),
    status(
        1,
        0,
        RFC3463,
        "A problem with an address (sender or recipient) that the server did not classify further.",
        "Check the sender and recipient addresses for typos, and that this server accepts them.",
    ),
    status(
        1,
        1,
        RFC3463,
        "The recipient's mailbox does not exist at the receiving server (bad destination mailbox address).",
        "Check the recipient address for typos; ask the recipient for their current address.",
    ),
    status(
        1,
        2,
        RFC3463,
        "The recipient's domain does not exist or does not take mail (bad destination system address).",
        "Check the part after the @ for typos; `smtp-doctor check DOMAIN` shows whether the domain has MX hosts.",
    ),
    status(
        1,
        3,
        RFC3463,
        "The recipient address is not valid syntax.",
        "Correct the address: one @, no spaces, no stray quotes or brackets.",
    ),
    status(
        1,
        4,
        RFC3463,
        "The recipient address is ambiguous: it matches several mailboxes.",
        "Use the recipient's full, exact address.",
    ),
    status(
        1,
        5,
        RFC3463,
        "The recipient address is valid.",
        "Nothing to fix for this recipient.",
    ),
    status(
        1,
        6,
        RFC3463,
        "The recipient's mailbox has moved and no forwarding address is known.",
        "Ask the recipient for their new address.",
    ),
    status(
        1,
        7,
        RFC3463,
        "The sender address is not valid syntax, or the server does not take it as a sender.",
        "Set a complete sender address (From, MAIL FROM) such as name@example.com, one the account may use.",
    ),
    status(
        1,
        8,
        RFC3463,
        "The sender's domain is not valid or does not resolve (bad sender's system address).",
        "Send from an address at a domain that exists in DNS (with MX or address records).",
    ),
    status(
        1,
        9,
        "RFC 3886",
        "The message was passed to a system that does not report delivery status.",
        "Nothing to fix; delivery reports may be missing for this recipient.",
    ),
    status(
        1,
        10,
        "RFC 7505",
        "The recipient's domain publishes a null MX: it takes no mail at all.",
        "Use another address of the recipient; this domain receives no mail.",
    ),
    status(
        2,
        0,
        RFC3463,
        "A problem with the recipient's mailbox that the server did not classify further.",
        "Check the recipient address; the recipient or their provider may need to act.",
    ),
    status(
        2,
        1,
        RFC3463,
        "The recipient's mailbox is disabled and takes no messages.",
        "The account is suspended or closed; reach the recipient another way.",
    ),
    status(
        2,
        2,
        RFC3463,
        "The recipient's mailbox is full.",
        "The recipient must make room; send again later.",
    ),
    status(
        2,
        3,
        RFC3463,
        "The message is larger than the recipient's mailbox accepts.",
        "Send smaller attachments, or a link instead.",
    ),
    status(
        2,
        4,
        RFC3463,
        "A mailing list could not be expanded.",
        "The list's operator must fix the list.",
    ),
    status(
        3,
        0,
        RFC3463,
        "A problem of the receiving mail system that it did not classify further.",
        "Usually the receiving side's to fix: send again later, or tell its operator.",
    ),
    status(
        3,
        1,
        RFC3463,
        "The receiving mail system is out of storage.",
        "Send again later; the receiving side must free space.",
    ),
    status(
        3,
        2,
        RFC3463,
        "The receiving system takes no messages now: it is shutting down, or takes no mail at all (RFC 7504 pairs it with 521 and 556).",
        "Send again later; if it lasts, check the recipient domain's MX records with `smtp-doctor check DOMAIN`.",
    ),
    status(
        3,
        3,
        RFC3463,
        "The receiving system cannot provide a feature the message needs (8-bit content, UTF-8 addresses, ...).",
        "Send the message without that feature: 7-bit encoding, ASCII addresses.",
    ),
    status(
        3,
        4,
        RFC3463,
        "The message is bigger than the receiving system accepts.",
        "Make the message smaller; the SIZE keyword in the server's EHLO reply (shown by `smtp-doctor check`) gives its limit.",
    ),
    status(
        3,
        5,
        RFC3463,
        "The receiving system is misconfigured.",
        "The receiving side must fix its configuration; tell its operator.",
    ),
    status(
        3,
        6,
        "RFC 6710",
        "The message's priority was changed by the server.",
        "Nothing to fix.",
    ),
    status(
        4,
        0,
        RFC3463,
        "A network or routing problem that the server did not classify further.",
        "Check the recipient domain's DNS and that its mail hosts are reachable; send again later.",
    ),
    status(
        4,
        1,
        RFC3463,
        "No answer from the next host: a connection attempt timed out.",
        "Check that the receiving host is up and reachable on its port; send again later.",
    ),
    status(
        4,
        2,
        RFC3463,
        "The connection to the next host broke.",
        "Send again later; if it lasts, a firewall or the other host drops the connection.",
    ),
    status(
        4,
        3,
        RFC3463,
        "A directory server (DNS, LDAP) failed, so an address could not be resolved.",
        "Send again later, and check the DNS of the domain concerned.",
    ),
    status(
        4,
        4,
        RFC3463,
        "The message cannot be routed: no MX or address for the destination, or wrong routing.",
        "Check the recipient domain's MX records with `smtp-doctor check DOMAIN`.",
    ),
    status(
        4,
        5,
        RFC3463,
        "The mail system is congested, or a sending limit was reached (Google uses 5.4.5 for its daily limits).",
        "Send again later and more slowly; ask the provider about its sending limits.",
    ),
    status(
        4,
        6,
        RFC3463,
        "A routing loop: the message went round between hosts.",
        "The receiving side's MX or forwarding setup is wrong; tell its operator.",
    ),
    status(
        4,
        7,
        RFC3463,
        "The message could not be delivered in time and expired.",
        "The receiving side was unreachable for too long; check it, then send again.",
    ),
    status(
        5,
        0,
        RFC3463,
        "A problem with the SMTP dialogue that the server did not classify further.",
        "Check the client's settings (port, TLS mode, authentication); the server's text says which step it refused.",
    ),
    status(
        5,
        1,
        RFC3463,
        "The server does not take this command here.",
        "Check the client's TLS and login settings: some commands are only accepted after STARTTLS or AUTH.",
    ),
    status(
        5,
        2,
        RFC3463,
        "A command had a syntax error.",
        "Update the client or library; check for stray characters in addresses and names.",
    ),
    status(
        5,
        3,
        RFC3463,
        "Too many recipients for one message.",
        "Send to fewer recipients per message: split the list.",
    ),
    status(
        5,
        4,
        RFC3463,
        "A command parameter was not valid.",
        "Check the addresses and options the client sends with MAIL FROM and RCPT TO.",
    ),
    status(
        5,
        5,
        RFC3463,
        "Wrong protocol version.",
        "Update the client or library.",
    ),
    status(
        5,
        6,
        "RFC 4954",
        "An authentication line was too long for the server (a large OAuth token, say).",
        "Check that the client sends an access token (not a refresh or ID token) and a mechanism the server supports.",
    ),
    status(
        6,
        0,
        RFC3463,
        "A problem with the message content or its encoding that the server did not classify further.",
        "Check the message's attachments, encoding and size.",
    ),
    status(
        6,
        1,
        RFC3463,
        "The message's media type is not supported.",
        "Send the content in a common format.",
    ),
    status(
        6,
        2,
        RFC3463,
        "A conversion was needed but is not allowed.",
        "Send the message in a form the receiver accepts as it is (7-bit text, say).",
    ),
    status(
        6,
        3,
        RFC3463,
        "A conversion was needed but is not supported.",
        "Send the message in a form the receiver accepts as it is (7-bit text, say).",
    ),
    status(
        6,
        4,
        RFC3463,
        "The message was converted and lost some data.",
        "Nothing to fix unless the received message looks wrong.",
    ),
    status(
        6,
        5,
        RFC3463,
        "A conversion of the message failed.",
        "Send the content in a simpler form.",
    ),
    status(
        6,
        6,
        "RFC 4468",
        "The message content is not available (a BURL reference failed).",
        "Send the message content directly.",
    ),
    status(
        6,
        7,
        "RFC 6531",
        "Non-ASCII addresses are not allowed for this sender or recipient.",
        "Use an ASCII address, or a server that supports SMTPUTF8.",
    ),
    status(
        6,
        8,
        "RFC 6531",
        "A UTF-8 reply was needed, but the client does not allow one.",
        "Use a client that supports SMTPUTF8, or ASCII addresses.",
    ),
    status(
        6,
        9,
        "RFC 6531",
        "A message with UTF-8 headers cannot be passed on to one or more recipients.",
        "Use ASCII addresses and headers for these recipients.",
    ),
    status(
        6,
        10,
        "RFC 6531",
        "A UTF-8 reply was needed, but the client does not allow one.",
        "Use a client that supports SMTPUTF8, or ASCII addresses.",
    ),
    status(
        7,
        0,
        RFC3463,
        "A security or policy refusal that the server did not classify further: the login, encryption, or a rule of the server.",
        "Read the server's text: it usually says whether the login, the encryption or a policy (sender, content, reputation) is the problem.",
    ),
    Status {
        flags: &["--user NAME"],
        ..status(
            7,
            1,
            RFC3463,
            "Delivery is not authorized: a policy of the server refused the message, the sender or the recipient. \"Relay access denied\" is the usual text when a session that has not logged in sends to another domain.",
            "Sending through your provider: log in (SMTP AUTH) on the submission port (587 or 465) as the account that owns the From address. Delivering to someone's MX: the server's text names the rule (a blocked address or domain, content, reputation).",
        )
    },
    status(
        7,
        2,
        RFC3463,
        "This sender may not expand the mailing list.",
        "Ask the list's owner for permission to post.",
    ),
    status(
        7,
        3,
        RFC3463,
        "A security conversion was needed but is not possible.",
        "Send the message without the security feature, or to a receiver that supports it.",
    ),
    status(
        7,
        4,
        RFC3463,
        "A security feature the message asked for is not supported.",
        "Send without that feature, or through a server that supports it.",
    ),
    status(
        7,
        5,
        RFC3463,
        "A cryptographic operation failed (a signature or decryption).",
        "Check the signing or encryption setup of the sender.",
    ),
    status(
        7,
        6,
        RFC3463,
        "A cryptographic algorithm is not supported.",
        "Use a more common algorithm.",
    ),
    status(
        7,
        7,
        RFC3463,
        "The message failed an integrity check.",
        "Send the message again; if it lasts, something alters it on the way.",
    ),
    Status {
        flags: &["--user NAME"],
        ..status(
            7,
            8,
            "RFC 4954",
            "The credentials were refused: the user name, password or token is wrong, or the account may not log in this way.",
            "Check the user name (often the full address) and the secret; many providers want an app password, an API key or OAuth 2 instead of the account password.",
        )
    },
    Status {
        flags: &["--user NAME", "--auth-mech MECH"],
        ..status(
            7,
            9,
            "RFC 4954",
            "The authentication mechanism is too weak for this account, or the account needs another kind of credential.",
            "Use a stronger mechanism or another credential: many providers then want an app password or OAuth 2 (XOAUTH2).",
        )
    },
    Status {
        flags: &["--security starttls"],
        ..status(
            7,
            10,
            "RFC 5248",
            "Encryption is needed: the server wants TLS first.",
            "Turn on STARTTLS (port 587) or implicit TLS (port 465) in the client.",
        )
    },
    Status {
        flags: &["--security starttls"],
        ..status(
            7,
            11,
            "RFC 4954",
            "Encryption is required for this authentication mechanism.",
            "Start TLS before logging in: STARTTLS on port 587, or implicit TLS on port 465.",
        )
    },
    status(
        7,
        12,
        "RFC 4954",
        "A password transition is needed: the server wants the password once over a plain mechanism to set up its stored credentials.",
        "Log in once with PLAIN over TLS, or set a new password with the provider.",
    ),
    status(
        7,
        13,
        "RFC 5248",
        "The user account is disabled.",
        "The account is suspended or locked (failed logins, billing, abuse); unlock it with the provider.",
    ),
    status(
        7,
        14,
        "RFC 5248",
        "A trust relationship is required before the server accepts this (Gmail uses 534 5.7.14 for a sign-in it blocked until it is confirmed in a web browser).",
        "Gmail: sign in once in a web browser and confirm it is you, then retry; prefer OAuth 2. Elsewhere ask the server's operator.",
    ),
    status(
        7,
        15,
        "RFC 6710",
        "The message's priority is too low for the server.",
        "Send with a higher priority, or later.",
    ),
    status(
        7,
        16,
        "RFC 6710",
        "The message is too big for its priority.",
        "Make the message smaller, or send it with another priority.",
    ),
    status(
        7,
        17,
        "RFC 7293",
        "The recipient mailbox has a new owner since the sender last knew it.",
        "Check with the recipient that the address is still theirs.",
    ),
    status(
        7,
        18,
        "RFC 7293",
        "The recipient domain has a new owner since the sender last knew it.",
        "Check with the recipient that the address is still theirs.",
    ),
    status(
        7,
        19,
        "RFC 7293",
        "The server could not complete the requested RRVS check.",
        "Send without the RRVS check, or later.",
    ),
    status(
        7,
        20,
        "RFC 7372",
        "No passing DKIM signature was found on the message.",
        "Sign outgoing mail with DKIM for the sending domain, and publish the key in DNS.",
    ),
    status(
        7,
        21,
        "RFC 7372",
        "No DKIM signature acceptable to the receiver was found.",
        "Sign with DKIM for the From domain, with a key size and algorithm receivers accept.",
    ),
    status(
        7,
        22,
        "RFC 7372",
        "No valid DKIM signature of the author's (From) domain was found.",
        "Sign with DKIM for the domain of the From address.",
    ),
    status(
        7,
        23,
        "RFC 7372",
        "SPF validation failed: the sending server is not allowed by the sender domain's SPF record.",
        "Add the sending server (or the provider's include) to the domain's SPF record.",
    ),
    status(
        7,
        24,
        "RFC 7372",
        "SPF validation ran into an error (a broken record, or a DNS failure).",
        "Fix the domain's SPF record (one record, at most 10 DNS look-ups); send again later if DNS failed.",
    ),
    status(
        7,
        25,
        "RFC 7372",
        "Reverse DNS validation failed: the sending address has no PTR name that resolves back to it.",
        "Give the sending IP address a PTR record whose name resolves back to it (ask whoever owns the address).",
    ),
    status(
        7,
        26,
        "RFC 7372",
        "Several sender authentication checks failed together (SPF, DKIM, DMARC). Gmail sends 5.7.26 for unauthenticated mail and for mail failing the domain's DMARC policy.",
        "Publish SPF for the sending servers and sign with DKIM, both aligned with the From domain for DMARC; send through the domain's own provider.",
    ),
    status(
        7,
        27,
        "RFC 7505",
        "The sender's domain publishes a null MX (it takes no mail), so receivers refuse mail from it.",
        "Send from an address at a domain that receives mail, or remove the null MX.",
    ),
    status(
        7,
        28,
        "IANA registry",
        "A mail flood was detected: too much mail from this sender or to this recipient.",
        "Send more slowly and spread the mail over time.",
    ),
    status(
        7,
        29,
        "RFC 8617",
        "ARC validation of the message failed.",
        "Check the forwarding or list server that added the ARC headers.",
    ),
    status(
        7,
        30,
        "RFC 8689",
        "The message asks for TLS on every hop (REQUIRETLS) and the next hop cannot provide it. Microsoft 365 also sends 5.7.30 when basic authentication is no longer accepted.",
        "Send without REQUIRETLS, or to a receiver that supports it; for Microsoft 365 see its entry.",
    ),
];

/// What an enhanced status code means, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Meaning {
    /// What it means.
    pub meaning: String,
    /// What to do.
    pub fix: String,
    /// The RFC (or registry) that defines it.
    pub source: &'static str,
    /// `smtp-doctor check` flags that look into it.
    pub flags: &'static [&'static str],
    /// Only the subject is known (detail 0, or a detail no registry defines): the basic reply
    /// code may say more.
    pub generic: bool,
}

/// Whether a registry defines `subject.detail` (for telling a real code from a version number).
pub(super) fn is_registered(subject: u16, detail: u16) -> bool {
    STATUSES
        .iter()
        .any(|s| s.subject == subject && s.detail == detail)
}

/// What `code` means: its own entry, else its subject's "other" entry with a note; `None` for a
/// class other than 2, 4 or 5 or an unknown subject.
pub(super) fn enhanced(code: EnhancedCode) -> Option<Meaning> {
    let exact = STATUSES
        .iter()
        .find(|s| s.subject == code.subject && s.detail == code.detail);
    let status = exact.or_else(|| {
        STATUSES
            .iter()
            .find(|s| s.subject == code.subject && s.detail == 0)
    })?;
    let class = class_words(code.class)?;
    let mut meaning = format!("{class} {}", status.meaning);
    if exact.is_none() {
        meaning.push_str(&format!(
            " Detail {} is not one the RFCs define: it is the server's own, and its text says more.",
            code.detail
        ));
    }
    Some(Meaning {
        meaning,
        fix: class_fix(code.class, status.fix),
        source: status.source,
        flags: status.flags,
        generic: exact.is_none() || code.detail == 0,
    })
}

/// The class as words (RFC 3463 section 3.1).
fn class_words(class: u8) -> Option<&'static str> {
    match class {
        2 => Some("Success (2.x.x):"),
        4 => Some("Temporary failure (4.x.x), sending again later may work:"),
        5 => Some("Permanent failure (5.x.x), the same attempt will fail again:"),
        _ => None,
    }
}

/// The fix as the class has it: nothing for a success, "retry, then" for a temporary failure.
fn class_fix(class: u8, fix: &str) -> String {
    match class {
        2 => "Nothing to fix: the server accepted this step.".to_string(),
        4 => format!(
            "Clients send again on their own after a temporary failure; if it lasts: {}",
            lower_first(fix)
        ),
        _ => fix.to_string(),
    }
}

/// `Check the ...` as `check the ...`, for a sentence that goes on.
pub(super) fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A three-digit reply code.
struct Basic {
    code: u16,
    source: &'static str,
    meaning: &'static str,
    fix: &'static str,
    flags: &'static [&'static str],
}

const fn basic_row(
    code: u16,
    source: &'static str,
    meaning: &'static str,
    fix: &'static str,
) -> Basic {
    Basic {
        code,
        source,
        meaning,
        fix,
        flags: &[],
    }
}

const RFC5321: &str = "RFC 5321";

/// The reply codes of RFC 5321 section 4.2.2 and 4.2.3 (the 3xx ones never carry an error), and
/// those RFC 3207 (STARTTLS), RFC 4954 (AUTH) and RFC 7504 (521, 556) add.
const BASICS: &[Basic] = &[
    basic_row(
        211,
        RFC5321,
        "System status or help reply.",
        "Nothing to fix.",
    ),
    basic_row(214, RFC5321, "A help message.", "Nothing to fix."),
    basic_row(
        220,
        RFC5321,
        "The server is ready (the greeting, or ready to start TLS).",
        "Nothing to fix.",
    ),
    basic_row(
        221,
        RFC5321,
        "The server is closing the connection after QUIT.",
        "Nothing to fix.",
    ),
    basic_row(
        235,
        "RFC 4954",
        "Authentication succeeded.",
        "Nothing to fix: the login works.",
    ),
    basic_row(250, RFC5321, "The command was accepted.", "Nothing to fix."),
    basic_row(
        251,
        RFC5321,
        "The recipient is not local; the server will forward the message.",
        "Nothing to fix.",
    ),
    basic_row(
        252,
        RFC5321,
        "The server cannot verify the user but will try to deliver.",
        "Nothing to fix.",
    ),
    basic_row(
        421,
        RFC5321,
        "The server is closing the connection: it is overloaded or shutting down, or turns this client away for now (too many connections, a rate limit, the sender's reputation).",
        "Send again later and more slowly; if it happens from one network only, that network's address may be throttled or listed.",
    ),
    basic_row(
        432,
        "RFC 4954",
        "A password transition is needed.",
        "Log in once with PLAIN over TLS, or set a new password with the provider.",
    ),
    basic_row(
        450,
        RFC5321,
        "The mailbox is not available for now (busy, or greylisting: the server asks first-time senders to come back later).",
        "Send again later; greylisting clears after a few minutes, and real clients retry on their own.",
    ),
    basic_row(
        451,
        RFC5321,
        "The server hit a local error while processing (a filter, DNS, a back end failed).",
        "Send again later; if it lasts, ask the server's operator.",
    ),
    basic_row(
        452,
        RFC5321,
        "The server has too little storage now, or the message has too many recipients.",
        "Send to fewer recipients per message, and again later.",
    ),
    Basic {
        flags: &["--transcript"],
        ..basic_row(
            454,
            "RFC 3207, RFC 4954",
            "A temporary failure of TLS or of authentication: in answer to STARTTLS, TLS is not available now (often the server's own certificate or key cannot be read); in answer to AUTH, the credentials could not be checked now.",
            "After STARTTLS: the server's TLS setup is broken and its operator must fix it; do not fall back to sending without TLS. After AUTH: send again in a few minutes.",
        )
    },
    basic_row(
        455,
        RFC5321,
        "The server cannot take the parameters now.",
        "Send again later.",
    ),
    basic_row(
        500,
        RFC5321,
        "The server did not recognise the command, or the line was too long. A client and server that disagree about TLS (one speaks TLS, the other plain text) also end up here.",
        "Check the port and TLS mode: 587 with STARTTLS, 465 with implicit TLS.",
    ),
    basic_row(
        501,
        RFC5321,
        "The arguments of the command are not valid (an address or an authentication string, say).",
        "Check the addresses and the user name for stray characters; update the client or library.",
    ),
    basic_row(
        502,
        RFC5321,
        "The command is not implemented here (AUTH on a port that has none, say).",
        "Use the provider's submission port (587 or 465), where AUTH is offered after TLS.",
    ),
    basic_row(
        503,
        RFC5321,
        "Commands came in the wrong order (MAIL before EHLO, or a command that needs a login first).",
        "Turn on authentication in the client; update the client if it is the order.",
    ),
    basic_row(
        504,
        RFC5321,
        "A command parameter is not implemented (an AUTH mechanism the server does not offer, say).",
        "Choose one of the mechanisms in the server's EHLO AUTH list.",
    ),
    basic_row(
        521,
        "RFC 7504",
        "This host does not take mail at all.",
        "Check that this is the right host; look up the recipient domain's MX hosts with `smtp-doctor check DOMAIN`.",
    ),
    Basic {
        flags: &["--security starttls", "--user NAME"],
        ..basic_row(
            530,
            "RFC 4954, RFC 3207",
            "The server wants a login (or TLS) before this command.",
            "Turn on STARTTLS or implicit TLS, and SMTP authentication, in the client.",
        )
    },
    Basic {
        flags: &["--user NAME", "--auth-mech MECH"],
        ..basic_row(
            534,
            "RFC 4954",
            "The authentication mechanism is too weak for this account.",
            "Use a stronger mechanism or another credential: many providers then want an app password or OAuth 2.",
        )
    },
    Basic {
        flags: &["--user NAME"],
        ..basic_row(
            535,
            "RFC 4954",
            "The credentials were not accepted.",
            "Check the user name (often the full address) and the secret; many providers want an app password or an API key instead of the account password.",
        )
    },
    Basic {
        flags: &["--security starttls"],
        ..basic_row(
            538,
            "RFC 4954",
            "Encryption is required for this authentication mechanism.",
            "Start TLS before logging in: STARTTLS on port 587, or implicit TLS on port 465.",
        )
    },
    basic_row(
        550,
        RFC5321,
        "The server refused the request: the mailbox does not exist or cannot be reached, or a policy refused it (relaying, the sender, spam rules).",
        "Read the rest of the server's text: it names the mailbox or the rule. Check the recipient address, and log in before sending to other domains.",
    ),
    basic_row(
        551,
        RFC5321,
        "The recipient is not local to this server.",
        "Send to the address the server names, or through your own provider.",
    ),
    basic_row(
        552,
        RFC5321,
        "The message exceeds a storage limit (too big, or the mailbox is full).",
        "Make the message smaller; if the mailbox is full, the recipient must make room.",
    ),
    basic_row(
        553,
        RFC5321,
        "The address is not allowed: bad syntax, or a sender address this login may not use.",
        "Send from the address you log in with (or an alias of it), and check the address syntax.",
    ),
    basic_row(
        554,
        RFC5321,
        "The transaction failed: a policy, spam or sender-verification refusal. As a greeting it means the server will not talk to this client.",
        "Read the rest of the server's text for the rule; some providers send it for a sender that is not verified with them.",
    ),
    basic_row(
        555,
        RFC5321,
        "The MAIL FROM or RCPT TO parameters are not recognised or not implemented.",
        "Update the client or library, or turn off the extension it uses (SMTPUTF8, DSN, ...).",
    ),
    basic_row(
        556,
        "RFC 7504",
        "The recipient's domain does not take mail.",
        "Use another address of the recipient; check the domain's MX records with `smtp-doctor check DOMAIN`.",
    ),
];

/// What a three-digit code means, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct BasicMeaning {
    /// What it means.
    pub meaning: String,
    /// What to do.
    pub fix: &'static str,
    /// The RFC that defines it.
    pub source: &'static str,
    /// `smtp-doctor check` flags that look into it.
    pub flags: &'static [&'static str],
}

/// Whether `code` is a reply code the RFCs define (a bare number is only taken for a reply
/// when it is one).
pub(super) fn is_basic(code: u16) -> bool {
    BASICS.iter().any(|b| b.code == code)
}

/// What `code` means, with its class.
pub(super) fn basic(code: u16) -> Option<BasicMeaning> {
    let row = BASICS.iter().find(|b| b.code == code)?;
    let class = match code / 100 {
        2 => "Success:",
        4 => "Temporary failure (4xx), sending again later may work:",
        _ => "Permanent failure (5xx):",
    };
    Some(BasicMeaning {
        meaning: format!("{class} {}", row.meaning),
        fix: row.fix,
        source: row.source,
        flags: row.flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(class: u8, subject: u16, detail: u16) -> EnhancedCode {
        EnhancedCode {
            class,
            subject,
            detail,
        }
    }

    #[test]
    fn every_subject_has_an_other_entry_and_no_row_is_doubled() {
        for subject in 0..=7 {
            assert!(is_registered(subject, 0), "X.{subject}.0");
        }
        for (i, a) in STATUSES.iter().enumerate() {
            for b in &STATUSES[i + 1..] {
                assert!((a.subject, a.detail) != (b.subject, b.detail));
            }
        }
        for (i, a) in BASICS.iter().enumerate() {
            assert!(BASICS[i + 1..].iter().all(|b| b.code != a.code));
        }
    }

    #[test]
    fn enhanced_codes_read_with_their_class() {
        let user_unknown = enhanced(code(5, 1, 1)).unwrap();
        assert!(user_unknown.meaning.starts_with("Permanent failure"));
        assert!(user_unknown.meaning.contains("does not exist"));
        assert!(!user_unknown.generic);
        let later = enhanced(code(4, 2, 2)).unwrap();
        assert!(later.fix.starts_with("Clients send again"), "{}", later.fix);
        let vendor = enhanced(code(5, 7, 139)).unwrap();
        assert!(vendor.generic);
        assert!(vendor.meaning.contains("Detail 139"), "{}", vendor.meaning);
        assert_eq!(enhanced(code(5, 7, 26)).unwrap().source, "RFC 7372");
        assert_eq!(enhanced(code(5, 7, 8)).unwrap().flags, ["--user NAME"]);
        assert!(enhanced(code(3, 0, 0)).is_none());
        assert!(enhanced(code(5, 9, 1)).is_none());
    }

    #[test]
    fn basic_codes() {
        assert!(is_basic(535) && is_basic(421) && !is_basic(587) && !is_basic(334));
        assert!(basic(454).unwrap().meaning.contains("TLS"));
        assert!(basic(250).unwrap().meaning.starts_with("Success"));
        assert!(basic(599).is_none());
    }
}
