//go:build limiters

package limiters

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// nginxConf is a complete nginx configuration: one loopback server whose every request passes
// limit_req (zone rate %[3]s, location directive %[4]q) and is answered with a static JSON file.
// The file is served by try_files, not `return`: return runs in the rewrite phase, before
// limit_req's preaccess phase, so a `return 200` location is never limited.
const nginxConf = `daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	default_type application/json;
	limit_req_zone $binary_remote_addr zone=z:1m rate=%[3]s;
	server {
		listen 127.0.0.1:%[2]d;
		location / {
			%[4]s
			limit_req_status 429;
			root %[1]s/www;
			try_files /ok.json =404;
		}
	}
}
`

// startNginx runs nginx (Debian package nginx) with limit_req at rate and the given limit_req
// directive, as the test's user, and returns its URL; it stops in t.Cleanup.
func startNginx(t *testing.T, rate, directive string) string {
	t.Helper()
	conf := func(dir string, port int) []byte {
		require.NoError(t, os.Mkdir(filepath.Join(dir, "www"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "www", "ok.json"), []byte(`{"ok":true}`+"\n"), 0o644))
		return fmt.Appendf(nil, nginxConf, dir, port, rate, directive)
	}
	args := func(conf, dir string) []string {
		return []string{"-c", conf, "-p", dir + "/", "-e", filepath.Join(dir, "error.log")}
	}
	return startConfigured(t, "nginx", "the nginx limit_req conformance test", "nginx.conf", conf, args)
}

// TestNginxLimitReq discovers nginx's limit_req (a leaky bucket in meter form; no headers).
// nodelay serves a burst at once and refuses beyond it: to a client, a token bucket of burst+1.
func TestNginxLimitReq(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		rate      string
		directive string
		perMinute float64
		burst     float64
		algorithm string
	}{
		{name: "2r/s burst 5 nodelay", rate: "2r/s", directive: "limit_req zone=z burst=5 nodelay;",
			perMinute: 120, burst: 6, algorithm: "token-bucket"},
		// Without nodelay nginx is a shaper: excess requests wait in a queue of 5 and leave at
		// 2/s; only beyond the queue is a request refused.
		{name: "2r/s burst 5 delayed", rate: "2r/s", directive: "limit_req zone=z burst=5;",
			perMinute: 120, burst: 6, algorithm: "leaky-bucket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := startNginx(t, tc.rate, tc.directive)
			l, _ := find(t, url)
			require.Nil(t, l.AdvertisedPerMinute, "nginx sends no rate-limit headers")
			require.NotNil(t, l.Burst)
			require.InDelta(t, tc.burst, *l.Burst, 0.1*tc.burst, "burst")
			require.Equal(t, tc.algorithm, l.Algorithm)
			checkRate(t, l, tc.perMinute, 0.05)
		})
	}
}
