package live

import (
	"testing"
	"time"

	"fishpond/internal/dbtest"
)

// TestTwoInstancesShareARoom runs two services (two server instances) on one
// PostgreSQL database: a comment posted on one reaches a viewer of the other, and
// each counts the other's viewers.
func TestTwoInstancesShareARoom(t *testing.T) {
	d := dbtest.Postgres(t)
	f := mustFixture(t, d)
	buses := make([]*PGBus, 2)
	svcs := make([]*Service, 2)
	for i := range svcs {
		b, err := NewPGBus(ctx, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		buses[i] = b
		svcs[i] = newService(t, f, b)
		select {
		case <-b.Ready():
		case <-time.After(5 * time.Second):
			t.Fatal("listener not ready")
		}
	}
	ss, err := svcs[0].Publish(ctx, f.room.ID, f.room.StreamKey)
	if err != nil {
		t.Fatal(err)
	}
	onB := svcs[1].Hub().Subscribe(ss.ID, "viewer-b")
	defer svcs[1].Hub().Unsubscribe(onB)
	onA := svcs[0].Hub().Subscribe(ss.ID, "viewer-a")
	defer svcs[0].Hub().Unsubscribe(onA)
	if _, err := svcs[0].PostComment(ctx, buyer, ss.ID, "从实例A发出"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, onB, "comment"); m.Text != "从实例A发出" {
		t.Fatalf("instance B's viewer got %+v", m)
	}
	if m := recv(t, onA, "comment"); m.Text != "从实例A发出" {
		t.Fatalf("instance A's viewer got %+v", m)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		svcs[0].Hub().announcePresence()
		svcs[1].Hub().announcePresence()
		if svcs[0].Hub().Viewers(ss.ID) == 2 && svcs[1].Hub().Viewers(ss.ID) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("viewers seen: A %d, B %d; want 2 on both", svcs[0].Hub().Viewers(ss.ID), svcs[1].Hub().Viewers(ss.ID))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for m := recv(t, onB, "viewers"); m.N != 2; m = recv(t, onB, "viewers") {
		// the count rises 1, then 2, as presence arrives
		svcs[1].Hub().announcePresence()
	}
	// Ending on B reaches A's viewer.
	if _, err := svcs[1].PublishDone(ctx, ss.ID); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, onA, "status"); m.Status != StatusEnded {
		t.Fatalf("status on A: %+v", m)
	}
}
