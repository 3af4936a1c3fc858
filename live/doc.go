// Package live is Fishpond's live-stream selling: farmer anchors with their
// training and certification, rooms with rotatable stream keys, scheduled sessions
// that an external media server (nginx-rtmp, SRS, MediaMTX) turns live and ends
// through its HTTP publish callbacks, real-time comments, likes, viewer counts,
// pinned products, flash sales and purchase notices fanned out to every viewer
// (across server instances through PostgreSQL LISTEN/NOTIFY), orders from the
// watch page attributed to the session and the anchor, per-minute session reports
// and campaigns with a live leaderboard.
//
// Commerce is the marketplace's: a flash sale is market.CreateFlashSale, an order
// is market's no-oversell PlaceOrderTx run in the same transaction that records
// the attribution. Whether an attributed order was paid or refunded comes from
// market's order events, read by a consumer with a checkpoint (SyncOrders).
//
// The video never passes through Fishpond: the media server receives RTMP,
// cuts HLS and serves it; Fishpond only decides who may publish and which
// session a stream belongs to. See docs/live.md.
package live
