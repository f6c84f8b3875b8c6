// Command firstlook is the bench's light IMAP client: for each user it
// connects, logs in as that user through a Dovecot master login, SELECTs a
// folder and sends the one FETCH a mail client sends on its first look,
// reading the answer without parsing more than line ends and literals, so
// that what is timed is the server's work. It prints the seconds all users
// took, one after the other.
//
//	firstlook -addr HOST:PORT -master USER -password-file F [-authzid] -fetch ITEMS < users
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"provpipe/pkg/scalix/imapwarm"
)

func main() {
	addr := flag.String("addr", "", "server HOST:PORT")
	master := flag.String("master", "warmadmin", "Dovecot master user")
	pwFile := flag.String("password-file", "", "file with the master password")
	folder := flag.String("folder", "INBOX", "folder to look at")
	authzid := flag.Bool("authzid", false, "log in with AUTHENTICATE PLAIN, the user as authorization identity and -master as authentication identity (Cyrus), instead of Dovecot's USER*MASTER")
	items := flag.String("fetch", "UID RFC822.SIZE FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT TO CC MESSAGE-ID REFERENCES CONTENT-TYPE)]", "FETCH items")
	flag.Parse()
	pw, err := os.ReadFile(*pwFile)
	if err != nil {
		fail(err)
	}
	password := strings.TrimSpace(string(pw))
	start := time.Now()
	sc := bufio.NewScanner(os.Stdin)
	messages := 0
	for sc.Scan() {
		user := strings.TrimSpace(sc.Text())
		if user == "" {
			continue
		}
		login := fmt.Sprintf("a LOGIN %s %s", quote(user+"*"+*master), quote(password))
		if *authzid {
			login = "a AUTHENTICATE PLAIN " + base64.StdEncoding.EncodeToString([]byte(user+"\x00"+*master+"\x00"+password))
		}
		n, err := look(*addr, login, *folder, *items)
		if err != nil {
			fail(fmt.Errorf("user %s: %w", user, err))
		}
		messages += n
	}
	fmt.Printf("%.3f %d\n", time.Since(start).Seconds(), messages)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "firstlook:", err)
	os.Exit(1)
}

// look makes one first access and returns how many messages were fetched.
func look(addr, login, folder, items string) (int, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Minute))
	r := bufio.NewReaderSize(c, 64<<10)
	if _, err := line(r); err != nil { // greeting
		return 0, err
	}
	steps := []string{
		login,
		"b SELECT " + quote(folder),
		"c FETCH 1:* (" + items + ")",
		"d LOGOUT",
	}
	fetched := 0
	for _, cmd := range steps {
		if _, err := io.WriteString(c, cmd+"\r\n"); err != nil {
			return 0, err
		}
		n, err := untilTagged(r, cmd[:1])
		if err != nil {
			return 0, fmt.Errorf("%s: %w", strings.Fields(cmd)[1], err)
		}
		fetched += n
	}
	return fetched, nil
}

// untilTagged reads answer lines, skipping literals, up to the tagged one,
// and counts the FETCH responses.
func untilTagged(r *bufio.Reader, tag string) (int, error) {
	fetches := 0
	for {
		text, err := line(r)
		if err != nil {
			return fetches, err
		}
		if bytes.HasPrefix(text, []byte("* ")) && bytes.Contains(text[:min(len(text), 24)], []byte(" FETCH ")) {
			fetches++
		}
		for {
			ok, n := imapwarm.LiteralSuffix(text)
			if !ok {
				break
			}
			if _, err := r.Discard(int(n)); err != nil {
				return fetches, err
			}
			if text, err = line(r); err != nil {
				return fetches, err
			}
		}
		if rest, ok := bytes.CutPrefix(text, []byte(tag+" ")); ok {
			if !bytes.HasPrefix(rest, []byte("OK")) {
				return fetches, errors.New(string(rest))
			}
			return fetches, nil
		}
	}
}

func line(r *bufio.Reader) ([]byte, error) {
	text, err := r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(text, "\r\n"), nil
}

func quote(s string) string { return strconv.Quote(s) }
