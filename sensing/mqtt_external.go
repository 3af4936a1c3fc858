package sensing

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
)

// External is the connection to an external broker (Mosquitto, EMQX…).
type External struct {
	cm *autopaho.ConnectionManager
}

// ExternalConfig says how to reach the external broker. Devices publish to
// fishpond/sensing/{device}/readings with MQTT 5 and the user property
// device-key set to their secret: Fishpond checks it on every message, whatever
// the broker's own authentication.
type ExternalConfig struct {
	URL      string // mqtt://host:1883
	Username string
	Password string
	ClientID string // default "fishpond-sensing"
}

// DeviceKeyProperty is the MQTT 5 user property carrying a device's secret on an
// external broker.
const DeviceKeyProperty = "device-key"

// ConnectExternal subscribes to every device's readings topic with QoS 1 and a
// persistent session, and acknowledges each message after its readings are
// committed, so the broker redelivers whatever a crash left unstored.
// It returns once the first connection and subscription are up.
func (s *Service) ConnectExternal(ctx context.Context, cfg ExternalConfig) (*External, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("external broker URL: %w", err)
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "fishpond-sensing"
	}
	subscribed := make(chan error, 1)
	var cm *autopaho.ConnectionManager
	pcfg := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		KeepAlive:                     30,
		CleanStartOnInitialConnection: false,
		SessionExpiryInterval:         3600,
		ConnectRetryDelay:             time.Second,
		ConnectUsername:               cfg.Username,
		ConnectPassword:               []byte(cfg.Password),
		OnConnectionUp: func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			go func() {
				_, err := cm.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: TopicPrefix + "+" + TopicSuffix, QoS: 1}}})
				if err != nil {
					s.log.Error("sensing: subscribe on external broker", "err", err)
				}
				select {
				case subscribed <- err:
				default:
				}
			}()
		},
		OnConnectError: func(err error) { s.log.Warn("sensing: external broker", "err", err) },
		ClientConfig: paho.ClientConfig{
			ClientID:                   cfg.ClientID,
			EnableManualAcknowledgment: true,
		},
	}
	pcfg.OnPublishReceived = []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
		pub := pr.Packet
		ack := func() {
			if pub.QoS > 0 {
				if err := pr.Client.Ack(pub); err != nil {
					s.log.Warn("sensing: ack on external broker", "err", err)
				}
			}
		}
		dev, ok := topicDevice(pub.Topic)
		key := ""
		if pub.Properties != nil {
			key = pub.Properties.User.Get(DeviceKeyProperty)
		}
		if !ok || s.Authenticate(ctx, dev, key) != nil {
			s.log.Warn("sensing: external broker message refused: unknown device or wrong device-key", "topic", pub.Topic)
			ack() // redelivery would not make it valid
			return true, nil
		}
		s.IngestThen(ctx, dev, pub.Payload, func(_ Result, err error) {
			if err != nil {
				s.log.Debug("sensing: external payload", "device", dev, "err", err)
			}
			ack()
		})
		return true, nil
	}}
	cm, err = autopaho.NewConnection(ctx, pcfg)
	if err != nil {
		return nil, err
	}
	select {
	case err := <-subscribed:
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("external broker %s: not connected after 30 s", u.Redacted())
	}
	return &External{cm: cm}, nil
}

// Close disconnects from the external broker.
func (e *External) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return e.cm.Disconnect(ctx)
}
