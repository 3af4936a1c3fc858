package live

import (
	"bytes"
	"encoding/json"
)

func parseFrames(b []byte) []Message {
	var out []Message
	for _, line := range bytes.Split(b, []byte("\n")) {
		if d, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
			var m Message
			if json.Unmarshal(d, &m) == nil {
				out = append(out, m)
			}
		}
	}
	return out
}
