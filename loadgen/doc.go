// Package loadgen is the HTTP load generator behind `fishpond bench checkout`. Like
// pgbench it lives in the binary, so anyone holding a Fishpond server can measure
// it the same way the project does: virtual buyers browse, view a product, place
// an order with an Idempotency-Key, pay through the sandbox wallet's cashier and
// wait until the order is paid, over real HTTP against a running server.
//
// It sits above the capabilities (like demo): it creates its fixtures — a bench
// shop, a product with known stock, a flash sale, consumer accounts — through the
// capabilities' Go API in the server's database, drives the server only through
// its public HTTP API, and afterwards counts from the database what was sold, so
// an oversell cannot hide behind a correct-looking HTTP answer.
package loadgen
