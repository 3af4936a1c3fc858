package main_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fishpond/internal/dbtest"
	"fishpond/internal/testenv"
	"fishpond/registry"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fishpond-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "fishpond")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := run(t, stdin, args...)
	if err != nil {
		t.Fatalf("fishpond %v: %v\n%s%s", args, err, out, errOut)
	}
	return out
}

// server is a running `fishpond serve` or `demo`.
type server struct {
	cmd  *exec.Cmd
	base string
	out  *syncBuffer
}

// syncBuffer collects stdout and stderr written from two goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) WriteString(p string) { s.Write([]byte(p)) }

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var addrRE = regexp.MustCompile(`addr=(\S+)`)

func start(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, args...)
	stderr, _ := cmd.StderrPipe()
	out := &syncBuffer{}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, out: out}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil && strings.Contains(sc.Text(), "serving") {
				found <- m[1]
			}
			out.WriteString(sc.Text() + "\n")
		}
	}()
	select {
	case a := <-found:
		s.base = "http://" + a
	case <-time.After(3 * time.Minute):
		t.Fatalf("server did not start: %s", out.String())
	}
	return s
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestOperatorWorkflow is what an operator does from a shell: migrate, add users,
// create a token, import a county's spreadsheet, serve, call the API, back up, stop.
func TestOperatorWorkflow(t *testing.T) {
	engines := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "data", "fp.db") },
		"postgres": func(t *testing.T) string {
			if os.Getenv(dbtest.EnvPostgres) == "" && !testenv.CI() {
				t.Skip("skipped: set " + dbtest.EnvPostgres + " to run on PostgreSQL too")
			}
			return dbtest.PostgresURL(t)
		},
	}
	for name, url := range engines {
		t.Run(name, func(t *testing.T) {
			dbURL := url(t)
			dataDir := t.TempDir()
			common := []string{"--db", dbURL, "--data-dir", dataDir}
			out := mustRun(t, "", append([]string{"migrate"}, common...)...)
			if !regexp.MustCompile(`schema version \d+`).MatchString(out) {
				t.Fatalf("migrate printed %q", out)
			}
			// Places are needed for county-scoped users; import loads them.
			tpl, err := registry.Template("csv")
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "households.csv")
			os.WriteFile(file, tpl, 0o600)
			out = mustRun(t, "", append([]string{"import", "households", file, "--county", "130624"}, common...)...)
			if !strings.Contains(out, "1 created") {
				t.Fatalf("import printed %q", out)
			}
			out = mustRun(t, "", append([]string{"import", "households", file, "--county", "130624"}, common...)...)
			if !strings.Contains(out, "1 unchanged") {
				t.Fatalf("re-import printed %q", out)
			}
			if _, errOut, err := run(t, "short\n", append([]string{"user", "add", "--name", "x1", "--role", "admin", "--password-stdin"}, common...)...); err == nil || !strings.Contains(errOut, "password") {
				t.Fatalf("short password accepted: %v %s", err, errOut)
			}
			mustRun(t, "officer-password\n", append([]string{"user", "add", "--name", "officer", "--role", "county_officer", "--county", "130624", "--password-stdin"}, common...)...)
			out = mustRun(t, "", append([]string{"token", "create", "--user", "officer"}, common...)...)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			token := lines[len(lines)-1]
			if !strings.HasPrefix(token, "fpt_") {
				t.Fatalf("token create printed %q", out)
			}

			s := start(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, common...)...)
			if code, body := get(t, s.base+"/healthz", ""); code != 200 {
				t.Fatalf("healthz %d %s", code, body)
			}
			code, body := get(t, s.base+"/api/v1/households?county=130624", token)
			if code != 200 || !strings.Contains(body, `"number"`) {
				t.Fatalf("households via token: %d %s", code, body)
			}
			if code, _ := get(t, s.base+"/api/v1/households", "fpt_wrong"); code != 401 {
				t.Fatalf("bad token: %d", code)
			}
			if code, body := get(t, s.base+"/metrics", ""); code != 200 || !strings.Contains(body, "fishpond_http_requests_total") {
				t.Fatalf("metrics: %d", code)
			}
			// Every capability's public pages are served by the binary, not only
			// by tests that build the web server themselves.
			// (An unregistered path redirects to the login page, so redirects are not followed.)
			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for _, p := range []string{"/shop", "/channel", "/live", "/farms", "/logistics", "/track", "/reports", "/partners/apply"} {
				res, err := noFollow.Get(s.base + p)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != 200 {
					t.Errorf("GET %s anonymously: %d %s", p, res.StatusCode, res.Header.Get("Location"))
				}
			}
			if name == "sqlite" {
				dest := filepath.Join(t.TempDir(), "backup.db")
				mustRun(t, "", append([]string{"backup", dest}, common...)...)
				// Restore: a server on the copy sees the same household.
				restored := []string{"--db", "sqlite://" + dest, "--data-dir", dataDir}
				out := mustRun(t, "", append([]string{"migrate"}, restored...)...)
				if !strings.Contains(out, "schema version") {
					t.Fatal(out)
				}
				s2 := start(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, restored...)...)
				code, body2 := get(t, s2.base+"/api/v1/households?county=130624", token)
				if code != 200 || body2 != body {
					t.Fatalf("restored copy differs: %d\n%s\n%s", code, body2, body)
				}
				s2.stop(t)
			}
			s.stop(t)
		})
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range [][]string{{"serve"}, {"demo"}, {"migrate"}, {"import", "households"}, {"user", "add"}, {"token", "create"}, {"backup"}, {"ledger", "verify"}, {"assess"}} {
		cmd := exec.Command(binary, append(c, "--help")...)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "usage: fishpond") {
			t.Errorf("fishpond %v --help: %v %s", c, err, out)
		}
	}
	if _, _, err := run(t, "", "frobnicate"); err == nil {
		t.Error("unknown command exited 0")
	}
}

// TestDemo starts the demo on a fresh directory, as the README's first command does,
// logs in with a printed account, and starts it again to see the data reused.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("demo load takes a while")
	}
	dir := t.TempDir()
	dbURL := "sqlite://" + filepath.Join(dir, "fishpond-data", "fishpond.db")
	s := start(t, "demo", "--addr", "127.0.0.1:0", "--db", dbURL)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.out.String(), "fishpond-admin") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(s.out.String(), "households") || !strings.Contains(s.out.String(), "fishpond-admin") {
		t.Fatalf("demo output lacks progress or logins:\n%s", s.out.String())
	}
	jar, _ := cookiejar.New(nil)
	res, err := (&http.Client{Jar: jar}).PostForm(s.base+"/login", map[string][]string{"name": {"fuping"}, "password": {"fishpond-demo"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "阜平县") {
		t.Fatalf("demo login landed on %s with %d", res.Request.URL, res.StatusCode)
	}
	s.stop(t)
	// The demo's ledger balances, and its assessment is already up to date.
	if out := mustRun(t, "", "ledger", "verify", "--db", dbURL); !strings.Contains(out, "ledger OK") {
		t.Fatalf("ledger verify on the demo: %s", out)
	}
	if out := mustRun(t, "", "assess", "--year", "2020", "--db", dbURL); !strings.Contains(out, "assessed 2000 households") || !strings.Contains(out, "changed 0,") {
		t.Fatalf("re-assessing the demo: %s", out)
	}
	if _, errOut, err := run(t, "", "assess", "--year", "2018", "--db", dbURL); err == nil || !strings.Contains(errOut, "2018") {
		t.Fatalf("assessing a year without a poverty line: %v %s", err, errOut)
	}
	s2 := start(t, "demo", "--addr", "127.0.0.1:0", "--db", dbURL)
	if !strings.Contains(s2.out.String(), "reusing") {
		t.Fatalf("second demo start did not reuse the data:\n%s", s2.out.String())
	}
	s2.stop(t)
}
