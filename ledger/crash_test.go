package ledger_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
)

const crashEnv = "FISHPOND_LEDGER_CRASH_DB"

// TestCrashChild is the child half of TestKillMidLoadLosesNothing: when started
// with crashEnv it posts transfers from several goroutines forever, printing each
// idempotency key once Post has acknowledged it.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("runs only as the child of TestKillMidLoadLosesNothing")
	}
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.New(d, fishpond.SystemClock{})
	h, err := l.EnsureHouseholdAccounts(ctx, "crash")
	if err != nil {
		t.Fatal(err)
	}
	loan, err := l.EnsureAccount(ctx, ledger.AccountSpec{Owner: "coop:lender", Category: "loans", Kind: ledger.KindAsset})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.AddRule(ctx, ledger.RuleSpec{Source: h.Wallet.ID, Dest: loan.ID, Bp: 1000, Cap: fishpond.Yuan(1_000_000)}); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	fmt.Fprintln(out, "ready")
	out.Flush()
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				key := fmt.Sprintf("crash-%d-%d", g, i)
				_, err := l.Post(ctx, ledger.TransferRequest{IdempotencyKey: key, Kind: "sale",
					Postings: []ledger.Posting{{AccountID: h.Wallet.ID, Amount: 1000}, {AccountID: h.Operating.ID, Amount: -1000}}})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Fprintln(out, key)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestKillMidLoadLosesNothing kills (SIGKILL) a process in the middle of posting,
// reopens its SQLite file and checks that the ledger verifies and that every
// transfer the child acknowledged is there.
func TestKillMidLoadLosesNothing(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("child")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crash.db")
	d, err := db.Open(ctx, "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	d.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	sc := bufio.NewScanner(stdout)
	deadline := time.Now().Add(20 * time.Second)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "crash-") {
			acked[line] = true
		}
		if len(acked) >= 3000 || time.Now().After(deadline) {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred code, no flush
		t.Fatal(err)
	}
	for sc.Scan() { // keys acknowledged before the kill landed
		if line := sc.Text(); strings.HasPrefix(line, "crash-") {
			acked[line] = true
		}
	}
	cmd.Wait()
	if len(acked) == 0 {
		t.Fatal("the child acknowledged nothing")
	}

	d, err = db.Open(ctx, "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l := ledger.New(d, fishpond.SystemClock{})
	defer l.Close()
	rep, err := l.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("verify after kill -9: %v %v", err, rep.Err())
	}
	rows, err := d.Read().QueryContext(ctx, "SELECT idem_key FROM ledger_transfers")
	if err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	for rows.Next() {
		var k string
		rows.Scan(&k)
		present[k] = true
	}
	rows.Close()
	for k := range acked {
		if !present[k] {
			t.Fatalf("acknowledged transfer %s is missing after the crash", k)
		}
	}
	t.Logf("%d acknowledged, %d recorded (%d committed but unacknowledged at the kill)", len(acked), len(present), len(present)-len(acked))
}
