#!/usr/bin/env python3
"""The plain sequential client sxwarm is compared with: Python's imaplib,
one user after another, one folder after another, the same commands as
sxwarm (EXAMINE, then one FETCH 1:* of the same items), as the documented
sxapiprep.py would have done over IMAP. Prints one timing line per user.

usage: imaplib_warm.py HOST:PORT ADMIN PASSWORD-FILE < users
Logs in as USER*ADMIN (Dovecot master user)."""
import imaplib
import sys
import time

FOLDERS = ["INBOX", "Calendar", "Contacts", "Sent Items"]
ITEMS = "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY.PEEK[HEADER])"


def warm(host, port, login, password):
    parts = []
    total = time.monotonic()
    conn = imaplib.IMAP4(host, port)
    conn.login(login, password)
    for folder in FOLDERS:
        start = time.monotonic()
        typ, data = conn.select('"%s"' % folder, readonly=True)
        if typ == "OK" and int(data[0]) > 0:
            conn.fetch("1:*", ITEMS)
        parts.append("%s: %.2f" % (folder, time.monotonic() - start))
    conn.logout()
    return " ".join(parts) + " Total: %.2f" % (time.monotonic() - total)


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    admin = sys.argv[2]
    with open(sys.argv[3]) as f:
        password = f.readline().rstrip("\r\n")
    users = [u.strip() for u in sys.stdin if u.strip()]
    for i, user in enumerate(users, 1):
        line = warm(host, int(port), "%s*%s" % (user, admin), password)
        print("%s (%d of %d)... %s" % (user, i, len(users), line), flush=True)


if __name__ == "__main__":
    main()
