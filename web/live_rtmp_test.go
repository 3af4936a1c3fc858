package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fishpond/internal/testenv"
	"fishpond/live"
)

// rtmpModule is where Debian's libnginx-mod-rtmp installs the module.
const rtmpModule = "/usr/lib/nginx/modules/ngx_rtmp_module.so"

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestLiveRealStreamThroughNginxRTMP publishes a real stream: nginx with the RTMP
// module on loopback calls the test server's publish callbacks, ffmpeg pushes a
// synthetic picture and tone under the room's stream key, and the test checks
// that the session goes live, that nginx serves its HLS playlist and segments
// under the room id (never the key), and that the session ends when ffmpeg
// stops. A stream with a wrong key is refused. It needs nginx,
// libnginx-mod-rtmp and ffmpeg (CI installs them).
func TestLiveRealStreamThroughNginxRTMP(t *testing.T) {
	nginx := testenv.LookPath(t, "nginx")
	ffmpeg := testenv.LookPath(t, "ffmpeg")
	if _, err := os.Stat(rtmpModule); err != nil {
		testenv.Missing(t, "the nginx RTMP module (%s)", rtmpModule)
	}
	srv, _, svc := demoServer(t)
	ctx := context.Background()
	farmer := login(t, srv.URL, "farmer", "fishpond-demo")
	_, rooms := callJSON(t, farmer, "GET", srv.URL+"/api/v1/live/rooms", nil)
	room := rooms["items"].([]any)[0].(map[string]any)
	roomID, key := room["id"].(string), room["stream_key"].(string)

	dir := t.TempDir()
	rtmpPort, httpPort := freePort(t), freePort(t)
	callback := srv.URL + "/live/media/%s?secret=" + testLiveConfig.CallbackSecret
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
load_module %[2]s;
events { worker_connections 64; }
rtmp {
  server {
    listen 127.0.0.1:%[3]d;
    application live {
      live on;
      hls on;
      hls_path %[1]s/hls;
      hls_fragment 1s;
      hls_playlist_length 10s;
      on_publish %[5]s;
      on_publish_done %[6]s;
    }
  }
}
http {
  access_log off;
  client_body_temp_path %[1]s/tmp;
  proxy_temp_path %[1]s/tmp;
  fastcgi_temp_path %[1]s/tmp;
  uwsgi_temp_path %[1]s/tmp;
  scgi_temp_path %[1]s/tmp;
  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
  server {
    listen 127.0.0.1:%[4]d;
    location /hls/ { alias %[1]s/hls/; add_header Cache-Control no-cache; add_header Access-Control-Allow-Origin *; }
  }
}
`, dir, rtmpModule, rtmpPort, httpPort, fmt.Sprintf(callback, "publish"), fmt.Sprintf(callback, "publish_done"))
	for _, d := range []string{"hls", "tmp", "logs"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var nginxOut bytes.Buffer
	ng := exec.Command(nginx, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"))
	ng.Stdout, ng.Stderr = &nginxOut, &nginxOut
	if err := ng.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ng.Process.Kill()
		ng.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\nerror.log:\n%s", nginxOut.String(), log)
		}
	}()
	waitFor(t, 10*time.Second, "nginx listening", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", rtmpPort))
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	// A stream under a wrong key is refused by the publish callback.
	bad := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "2",
		"-c:v", "libx264", "-preset", "ultrafast", "-f", "flv", fmt.Sprintf("rtmp://127.0.0.1:%d/live/%s?key=not-the-key", rtmpPort, roomID))
	if out, err := bad.CombinedOutput(); err == nil {
		t.Fatalf("ffmpeg published under a wrong key: %s", out)
	}

	// The anchor's app publishes as the console shows: room id, key as argument.
	var ffOut bytes.Buffer
	ff := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
		"-t", "8", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "64k", "-f", "flv", fmt.Sprintf("rtmp://127.0.0.1:%d/live/%s?key=%s", rtmpPort, roomID, key))
	ff.Stdout, ff.Stderr = &ffOut, &ffOut
	if err := ff.Start(); err != nil {
		t.Fatal(err)
	}
	ffDone := make(chan error, 1)
	go func() { ffDone <- ff.Wait() }()
	defer ff.Process.Kill()

	var ss live.Session
	waitFor(t, 15*time.Second, "the session to go live", func() bool {
		got, err := svc.Live.Sessions(ctx, live.SessionFilter{RoomID: roomID, Status: live.StatusLive})
		if err == nil && len(got) == 1 {
			ss = got[0]
			return true
		}
		return false
	})
	events := viewer(t, &http.Client{}, srv.URL, ss.ID)
	await(t, events, "hello")

	hls := fmt.Sprintf("http://127.0.0.1:%d/hls/%s.m3u8", httpPort, roomID)
	var playlist string
	waitFor(t, 20*time.Second, "an HLS playlist with a segment", func() bool {
		res, err := http.Get(hls)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		playlist = string(b)
		return res.StatusCode == 200 && strings.HasPrefix(playlist, "#EXTM3U") && strings.Contains(playlist, ".ts")
	})
	seg := regexp.MustCompile(`(?m)^[^#\s].*\.ts$`).FindString(playlist)
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/hls/%s", httpPort, seg))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || len(b) < 188 || b[0] != 0x47 {
		t.Fatalf("segment %s: %d, %d bytes, want an MPEG-TS segment", seg, res.StatusCode, len(b))
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "hls", "*"+key+"*")); len(matches) > 0 {
		t.Fatalf("HLS files carry the stream key: %v", matches)
	}
	select {
	case err := <-ffDone:
		if err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, ffOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ffmpeg did not finish its 8-second stream")
	}
	if m := await(t, events, "status"); m.Status != live.StatusEnded {
		t.Fatalf("status after the stream stopped: %+v", m)
	}
	got, err := svc.Live.Session(ctx, ss.ID)
	if err != nil || got.Status != live.StatusEnded || got.StartedAt.IsZero() {
		t.Fatalf("session after the stream: %+v %v", got, err)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
