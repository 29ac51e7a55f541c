// Package limiters is ratelab's acceptance suite against real rate limiters: its tests start
// nginx limit_req, express-rate-limit and HAProxy stick tables on loopback, run `ratelab probe
// --find` against each and check the inferred rate (and the advertised one where the limiter
// sends headers) against the limiter's configuration. It has no code of its own; a test whose
// server is not installed skips naming its package, or fails with RATELAB_REQUIRE_LIMITERS=1.
// The tests build only with -tags limiters (go test -tags limiters ./conformance/limiters/), so
// their live discoveries run apart from the other packages' live timing tests.
package limiters
