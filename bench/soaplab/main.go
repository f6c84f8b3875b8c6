// Command soaplab is make bench's Open-Xchange SOAP lab.
//
//	soaplab serve DIR       a throwaway MariaDB under DIR and the SOAP stand-in
//	                        on it (oxsoapsim.DBStore); prints its URL, serves until
//	                        stdin closes; GET /stats gives the counters as JSON
//	soaplab stats URL      prints the lab's counters: requests overlaps deadlocks
//	soaplab load URL J FIRST N SCHEMAS
//	                        the floor: J workers posting prebuilt create bodies
//	                        for contexts FIRST..FIRST+N-1, worker w creating the
//	                        contexts of the schemas s with s mod J = w, one at a
//	                        time (no two creates into one schema, as ctxcreate)
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"provpipe/internal/testserver/mariadblab"
	"provpipe/internal/testserver/oxsoapsim"
	"provpipe/pkg/openxchange/oxsoap"
)

const login, password = "oxadminmaster", "bench-master"

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "serve":
		if len(os.Args) != 3 {
			usage()
		}
		err = serve(os.Args[2])
	case "stats":
		if len(os.Args) != 3 {
			usage()
		}
		err = stats(os.Args[2])
	case "load":
		if len(os.Args) != 7 {
			usage()
		}
		err = load(os.Args[2], atoi(os.Args[3]), atoi(os.Args[4]), atoi(os.Args[5]), atoi(os.Args[6]))
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "soaplab:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: soaplab serve DIR | soaplab stats URL | soaplab load URL J FIRST N SCHEMAS")
	os.Exit(2)
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		usage()
	}
	return n
}

func serve(dir string) error {
	lab, err := mariadblab.Start(dir)
	if err != nil {
		return err
	}
	defer lab.Stop()
	store, err := oxsoapsim.NewDBStore(lab.DSN)
	if err != nil {
		return err
	}
	defer store.Close()
	srv := oxsoapsim.New(login, password)
	srv.Store = store
	mux := http.NewServeMux()
	mux.Handle("/", srv)
	mux.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(map[string]int{"requests": srv.Requests(), "overlaps": srv.Overlaps(), "deadlocks": store.Deadlocks()})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ln, mux)
	fmt.Printf("http://%s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	return nil
}

// load is the floor: the same creates, bodies built before the clock
// starts, no parsing of the answers beyond their status.
func load(url string, workers, first, n, schemas int) error {
	bodies := make([][][]byte, workers)
	for i := 0; i < n; i++ {
		id := first + i
		s := i % schemas
		r := oxsoap.CreateRequest{
			Context:  oxsoap.Context{ID: strconv.Itoa(id), MaxQuota: "1000", DatabaseID: strconv.Itoa(3 * (s%3 + 1))},
			Admin:    oxsoap.User{Name: "oxadmin", Password: "pw", DisplayName: "Admin", GivenName: "A", SurName: "C", Email: "a@x"},
			Strategy: oxsoap.Strategy{SchemaName: "bench_" + strconv.Itoa(s+1)},
		}
		w := s % workers
		bodies[w] = append(bodies[w], r.Envelope(oxsoap.Credentials{Login: login, Password: password}))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, b := range bodies[w] {
				resp, err := client.Post(url+oxsoap.ServicePath, "text/xml; charset=utf-8", bytes.NewReader(b))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != http.StatusOK {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	fmt.Printf("%d contexts in %.3f s, %.1f contexts/s, %d failed\n", n, el, float64(n)/el, failed)
	return nil
}

func stats(url string) error {
	resp, err := http.Get(url + "/stats")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var c map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return err
	}
	fmt.Println(c["requests"], c["overlaps"], c["deadlocks"])
	return nil
}
