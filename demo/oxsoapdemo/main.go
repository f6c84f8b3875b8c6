// Command oxsoapdemo serves the Open-Xchange SOAP stand-in
// (internal/testserver/oxsoapsim) on 127.0.0.1 for make demo, make sandbox
// and the tests: it prints its URL, then serves until its stdin closes (or,
// with -keep, until SIGINT or SIGTERM). Contexts live in its memory.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"provpipe/internal/testserver/oxsoapsim"
)

func main() {
	login := flag.String("login", "oxadminmaster", "the master admin's login")
	pwFile := flag.String("password-file", "", "file whose first line is the master password (default: $OXSIM_MASTER_PASSWORD, else master)")
	keep := flag.Bool("keep", false, "serve until SIGINT or SIGTERM, not until stdin closes")
	delay := flag.Duration("delay", 2*time.Millisecond, "how long each create holds its schema")
	flag.Parse()
	password := os.Getenv("OXSIM_MASTER_PASSWORD")
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "oxsoapdemo:", err)
			os.Exit(1)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	if password == "" {
		password = "master"
	}
	srv := oxsoapsim.New(*login, password)
	srv.Delay = *delay
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "oxsoapdemo:", err)
		os.Exit(1)
	}
	go http.Serve(ln, srv)
	fmt.Printf("http://%s\n", ln.Addr())
	if *keep {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		<-sigs
		return
	}
	io.Copy(io.Discard, os.Stdin)
}
