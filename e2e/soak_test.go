//go:build unix

package e2e

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"provpipe/internal/testserver/mailsim"
	"provpipe/internal/testserver/testenv"
)

// soakFaults gives a share of the users a fault, the same ones every run
// (a fixed seed): drops mid-FETCH, stalls past --timeout, BYE, NO
// [UNAVAILABLE] and refused logins, each for a limited number of times so
// that every user can be warmed in the end.
func soakFaults(srv *mailsim.Server, users []string) map[string]mailsim.Fault {
	rng := rand.New(rand.NewPCG(11, 2026))
	faults := map[string]mailsim.Fault{}
	for _, u := range users {
		var f mailsim.Fault
		switch p := rng.IntN(100); {
		case p < 5:
			f = mailsim.Fault{Kind: mailsim.DropMidFetch, Times: 1 + rng.IntN(3)}
		case p < 8:
			f = mailsim.Fault{Kind: mailsim.Stall, Times: 1, For: 1500 * time.Millisecond}
		case p < 12:
			f = mailsim.Fault{Kind: mailsim.Bye, Times: 1 + rng.IntN(3)}
		case p < 14:
			f = mailsim.Fault{Kind: mailsim.NoUnavailable, Times: 1}
		case p < 17:
			f = mailsim.Fault{Kind: mailsim.RefuseLogin, Times: 1}
		default:
			continue
		}
		srv.SetFault(u, f)
		faults[u] = f
	}
	return faults
}

// soakRecord is one user's line in the jsonl results.
type soakRecord struct {
	User   string `json:"user"`
	Status string `json:"status"`
}

func readSoakRecords(t *testing.T, path string) []soakRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	defer f.Close()
	var out []soakRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var r soakRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s:%d: torn or bad record %q: %v", path, n, sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// TestSoakFaultsAndResume: 2 000 users against the embedded server with
// faults, interrupted by SIGINT three times and resumed with --done and
// --append on one results file until every user is warmed. In the end every
// user has exactly one ok record, the last of its records, and no user was
// logged in again once its success was recorded.
func TestSoakFaultsAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: skipped with -short")
	}
	srv, want := startSim(t, 2000)
	users := strings.Split(strings.TrimSuffix(userNames(want), "\n"), "\n")
	faults := soakFaults(srv, users)
	dir := t.TempDir()
	results := filepath.Join(dir, "results.jsonl")
	input := filepath.Join(dir, "users")
	os.WriteFile(input, []byte(userNames(want)), 0o644)
	args := []string{"--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "-j", "16", "--timeout", "500ms",
		"--retries", "1", "--format", "jsonl", "--done", results, "--append", results, "-q", input}

	okAt := map[string]int{}          // user -> round its ok record appeared
	loginsAfter := []map[string]int{} // logins at the end of each round
	for round := 0; round < 12; round++ {
		before := len(readSoakRecords(t, results))
		cmd := exec.Command(testenv.Binary(t, "sxwarm"), args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		interrupted := round < 3
		if interrupted {
			// A few hundred users into the round, SIGINT.
			waitForLines(t, results, before+300)
			cmd.Process.Signal(syscall.SIGINT)
		}
		cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		loginsAfter = append(loginsAfter, srv.Logins())
		records := readSoakRecords(t, results)
		for _, r := range records[before:] {
			if r.Status == "ok" {
				if _, dup := okAt[r.User]; dup {
					t.Errorf("round %d: %s has a second ok record", round, r.User)
				}
				okAt[r.User] = round
			}
		}
		switch {
		case interrupted && code != 130:
			t.Fatalf("round %d: exit %d after SIGINT, want 130: %s", round, code, stderr.String())
		case !interrupted && code != 0 && code != 1:
			t.Fatalf("round %d: exit %d: %s", round, code, stderr.String())
		}
		t.Logf("round %d: exit %d, %d new records, %d users ok so far", round, code, len(records)-before, len(okAt))
		if !interrupted && code == 0 {
			break
		}
	}
	if len(okAt) != len(users) {
		t.Fatalf("%d of %d users ever warmed ok", len(okAt), len(users))
	}
	last := map[string]soakRecord{}
	for _, r := range readSoakRecords(t, results) {
		last[r.User] = r
	}
	final := loginsAfter[len(loginsAfter)-1]
	for _, u := range users {
		if last[u].Status != "ok" {
			t.Errorf("%s: last record %q, want ok", u, last[u].Status)
		}
		if at := final[u]; at != loginsAfter[okAt[u]][u] {
			t.Errorf("%s (fault %+v): %d logins when its ok was recorded in round %d, %d in the end",
				u, faults[u], loginsAfter[okAt[u]][u], okAt[u], at)
		}
	}
	if len(faults) < 200 {
		t.Errorf("only %d users had a fault; the soak is meant to inject many", len(faults))
	}
}
