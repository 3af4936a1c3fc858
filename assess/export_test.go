package assess

// StatusPayload exposes the hand-written event payload to the external tests.
var StatusPayload = statusPayload
