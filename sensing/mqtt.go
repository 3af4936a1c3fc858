package sensing

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"fishpond"
)

// TopicPrefix and TopicSuffix frame a device's topic: fishpond/sensing/{device}/readings.
const (
	TopicPrefix = "fishpond/sensing/"
	TopicSuffix = "/readings"
)

// Topic is where a device (or gateway) publishes its readings.
func Topic(device string) string { return TopicPrefix + device + TopicSuffix }

func topicDevice(topic string) (string, bool) {
	rest, ok := strings.CutPrefix(topic, TopicPrefix)
	if !ok {
		return "", false
	}
	id, ok := strings.CutSuffix(rest, TopicSuffix)
	return id, ok && id != "" && !strings.Contains(id, "/")
}

// Broker is the embedded MQTT broker (mochi-mqtt): devices connect with their id
// as username and their secret as password, and may publish only to their own
// topic. A QoS 1 publish is acknowledged after its readings are committed, so an
// acknowledged reading is stored; a refused payload gets PUBACK reason 0x99
// (payload format invalid) on MQTT 5.
type Broker struct {
	srv *mqtt.Server
	ln  net.Listener
}

// StartBroker listens on addr ("127.0.0.1:1883", ":0" for any free port).
func (s *Service) StartBroker(addr string) (*Broker, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	// The broker logs every connection at info; keep warnings and errors only.
	srv := mqtt.New(&mqtt.Options{Logger: slog.New(warnOnly{s.log.Handler()}).With("component", "mqtt"), ClientNetReadBufferSize: 64 << 10})
	srv.Options.Capabilities.MaximumMessageExpiryInterval = 0
	if err := srv.AddHook(&deviceHook{s: s}, nil); err != nil {
		ln.Close()
		return nil, err
	}
	if err := srv.AddListener(listeners.NewNet("devices", ln)); err != nil {
		ln.Close()
		return nil, err
	}
	if err := srv.Serve(); err != nil {
		ln.Close()
		return nil, err
	}
	return &Broker{srv: srv, ln: ln}, nil
}

// Addr is the address the broker listens on.
func (b *Broker) Addr() string { return b.ln.Addr().String() }

// Close stops accepting and disconnects every client.
func (b *Broker) Close() error {
	return b.srv.Close()
}

type deviceHook struct {
	mqtt.HookBase
	s *Service
}

func (h *deviceHook) ID() string { return "fishpond-devices" }

func (h *deviceHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnPublish}, []byte{b})
}

func (h *deviceHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	return h.s.Authenticate(context.Background(), string(pk.Connect.Username), string(pk.Connect.Password)) == nil
}

// OnACLCheck: a device writes to its own readings topic only and may read
// nothing but its own subtree.
func (h *deviceHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	dev := string(cl.Properties.Username)
	if write {
		id, ok := topicDevice(topic)
		return ok && id == dev
	}
	return strings.HasPrefix(topic, TopicPrefix+dev+"/")
}

func (h *deviceHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	dev := string(cl.Properties.Username)
	_, err := h.s.Ingest(context.Background(), dev, pk.Payload, pk.FixedHeader.Qos > 0)
	if err == nil {
		return pk, nil
	}
	var fe *fishpond.Error
	if errors.As(err, &fe) && fe.Code == fishpond.EInvalid {
		return pk, packets.ErrPayloadFormatInvalid
	}
	h.s.log.Error("sensing: mqtt ingest", "device", dev, "err", err)
	return pk, packets.ErrImplementationSpecificError
}

type warnOnly struct{ slog.Handler }

func (w warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{w.Handler.WithAttrs(as)} }
func (w warnOnly) WithGroup(g string) slog.Handler       { return warnOnly{w.Handler.WithGroup(g)} }

func (w warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && w.Handler.Enabled(ctx, l)
}
