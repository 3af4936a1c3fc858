// Package sensing is smart farming: sites (fields, barns, hives) with sensors and
// gateways that hold per-device credentials; readings arriving over MQTT (an
// embedded mochi-mqtt broker, or an external broker such as Mosquitto read with
// paho) or HTTP, validated, deduplicated and stored in event-time order with hour
// and day rollups kept on the write path; threshold and rate-of-change rules with
// hysteresis that raise and clear alerts (domain events, the farmer's pages and
// webhooks); and explainable yield and mortality forecasts backtested on their own
// history.
//
// Sites are this package's own until the farms capability exists: a site names its
// county and its owner (a market cooperative or a registered household) and keeps
// an empty farm_field_id for that link. See docs/sensing.md.
package sensing
