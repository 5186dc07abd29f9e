package scheduler

import (
	"context"
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on machines without a zoneinfo database

	"github.com/postfach/postfach/accounts"
)

// The run history keeps Started in UTC (backup/run.go); these tests give the scheduler
// such a history and a clock in Europe/Berlin, and check that every decision follows the
// local wall clock. Europe/Berlin in 2025: CET→CEST on 30 March at 02:00 (02:00–03:00
// does not exist), CEST→CET on 26 October at 03:00 (02:00–03:00 happens twice).

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustSchedule(t *testing.T, s string) accounts.Schedule {
	t.Helper()
	sc, err := accounts.ParseSchedule(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestLocalScheduleWithUTCHistory drives RunDue minute by minute and checks when backups
// run, and that NextRun announces exactly those times: it is now when RunDue runs a
// backup and later when it does not.
func TestLocalScheduleWithUTCHistory(t *testing.T) {
	ber := berlin(t)
	b := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, ber) }
	tests := []struct {
		name     string
		schedule string
		last     time.Time // zero: never backed up
		from, to time.Time
		want     []time.Time
	}{
		{
			name: "daily 13:00 in winter", schedule: "daily 13:00",
			last: b(2025, 1, 9, 13, 0), from: b(2025, 1, 10, 0, 0), to: b(2025, 1, 12, 0, 0),
			want: []time.Time{b(2025, 1, 10, 13, 0), b(2025, 1, 11, 13, 0)},
		},
		{
			name: "daily 13:00 in summer", schedule: "daily 13:00",
			last: b(2025, 7, 9, 13, 0), from: b(2025, 7, 10, 0, 0), to: b(2025, 7, 12, 0, 0),
			want: []time.Time{b(2025, 7, 10, 13, 0), b(2025, 7, 11, 13, 0)},
		},
		{
			name: "first day runs once", schedule: "daily 13:00",
			from: b(2025, 7, 10, 13, 0), to: b(2025, 7, 12, 0, 0),
			want: []time.Time{b(2025, 7, 10, 13, 0), b(2025, 7, 11, 13, 0)},
		},
		{
			name: "weekly mon 02:30 lands on monday", schedule: "weekly mon 02:30",
			last: b(2025, 1, 6, 2, 30), from: b(2025, 1, 7, 0, 0), to: b(2025, 1, 21, 0, 0),
			want: []time.Time{b(2025, 1, 13, 2, 30), b(2025, 1, 20, 2, 30)},
		},
		{
			name: "weekly mon 00:30 in summer lands on monday", schedule: "weekly mon 00:30",
			last: b(2025, 7, 7, 0, 30), from: b(2025, 7, 8, 0, 0), to: b(2025, 7, 22, 0, 0),
			want: []time.Time{b(2025, 7, 14, 0, 30), b(2025, 7, 21, 0, 30)},
		},
		{
			name: "daily 02:30 across spring forward runs once at 03:30", schedule: "daily 02:30",
			last: b(2025, 3, 28, 2, 30), from: b(2025, 3, 29, 0, 0), to: b(2025, 4, 1, 0, 0),
			want: []time.Time{b(2025, 3, 29, 2, 30), b(2025, 3, 30, 3, 30), b(2025, 3, 31, 2, 30)},
		},
		{
			name: "daily 02:30 across fall back runs once", schedule: "daily 02:30",
			last: b(2025, 10, 24, 2, 30), from: b(2025, 10, 25, 0, 0), to: b(2025, 10, 28, 0, 0),
			want: []time.Time{b(2025, 10, 25, 2, 30), b(2025, 10, 26, 2, 30), b(2025, 10, 27, 2, 30)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock(tt.from)
			acct := pop3("a", mustSchedule(t, tt.schedule))
			r := &fakeRunner{accts: []accounts.Account{acct}, last: map[string]time.Time{}, history: clock}
			if !tt.last.IsZero() {
				r.last["a"] = tt.last.UTC()
			}
			s := newTest(clock, r, &recorder{})
			var got []time.Time
			for now := clock.Now(); now.Before(tt.to); now = clock.Now() {
				next := s.NextRun(acct, r.lastOf("a"))
				before := len(r.ran())
				s.RunDue(context.Background())
				ran := len(r.ran()) > before
				if ran {
					got = append(got, now)
				}
				if ran != next.Equal(now) || next.Before(now) || next.Location() != ber {
					t.Fatalf("at %v: NextRun = %v, but a backup ran: %v", now, next, ran)
				}
				clock.Advance(time.Minute)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ran at %v, want %v", got, tt.want)
			}
			for i := range got {
				if !got[i].Equal(tt.want[i]) {
					t.Errorf("run %d at %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestLocalOverdue: "overdue" starts the grace period after the first missed local slot,
// counted from a UTC last success or a UTC set-up time.
func TestLocalOverdue(t *testing.T) {
	ber := berlin(t)
	b := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, ber) }
	tests := []struct {
		name      string
		last, set time.Time // last success and ProtocolChosenAt; zero if none
		now       time.Time
		want      bool
	}{
		// Missed slot 11 Jan 13:00 CET, plus three days.
		{name: "winter: a minute before", last: b(2025, 1, 10, 13, 0), now: b(2025, 1, 14, 12, 59)},
		{name: "winter: on time", last: b(2025, 1, 10, 13, 0), now: b(2025, 1, 14, 13, 0), want: true},
		{name: "summer: a minute before", last: b(2025, 7, 10, 13, 0), now: b(2025, 7, 14, 12, 59)},
		{name: "summer: on time", last: b(2025, 7, 10, 13, 0), now: b(2025, 7, 14, 13, 0), want: true},
		// Set up at 10:00 and never backed up: the first slot was 10 July 13:00 CEST.
		{name: "never backed up: a minute before", set: b(2025, 7, 10, 10, 0), now: b(2025, 7, 13, 12, 59)},
		{name: "never backed up: on time", set: b(2025, 7, 10, 10, 0), now: b(2025, 7, 13, 13, 0), want: true},
		// Missed slot 26 Oct 13:00 CET (a 25-hour day before it), plus three days.
		{name: "across fall back: a minute before", last: b(2025, 10, 25, 13, 0), now: b(2025, 10, 29, 12, 59)},
		{name: "across fall back: on time", last: b(2025, 10, 25, 13, 0), now: b(2025, 10, 29, 13, 0), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock(tt.now)
			acct := pop3("a", mustSchedule(t, "daily 13:00"))
			acct.ProtocolChosenAt = tt.set.UTC()
			r := &fakeRunner{
				accts: []accounts.Account{acct},
				last:  map[string]time.Time{"a": tt.last.UTC()},
				fail:  map[string]error{"a": errors.New("server unreachable")},
			}
			if tt.last.IsZero() {
				delete(r.last, "a")
			}
			rec := &recorder{}
			newTest(clock, r, rec).RunDue(context.Background())
			if got := len(rec.kinds(Overdue)) == 1; got != tt.want {
				t.Errorf("overdue = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLocalCatchUpAfterStart: the PC was off at 13:00; after start the missed backup runs
// once after the start delay, and the next one at 13:00 local the following day.
func TestLocalCatchUpAfterStart(t *testing.T) {
	ber := berlin(t)
	b := func(d, h, mi int) time.Time { return time.Date(2025, 7, d, h, mi, 0, 0, ber) }
	clock := newFakeClock(b(10, 13, 30))
	acct := pop3("a", mustSchedule(t, "daily 13:00"))
	r := &fakeRunner{accts: []accounts.Account{acct}, last: map[string]time.Time{"a": b(9, 13, 0).UTC()}, history: clock}
	s := newTest(clock, r, &recorder{})
	s.Start(context.Background())
	defer s.Stop()
	clock.waitIdle(t)
	if got := s.NextRun(acct, r.lastOf("a")); !got.Equal(b(10, 13, 32)) {
		t.Errorf("NextRun before the catch-up = %v, want 13:32 (after the start delay)", got)
	}
	clock.Advance(DefaultStartDelay)
	clock.waitIdle(t)
	if n := len(r.ran()); n != 1 {
		t.Fatalf("catch-up: %d backups, want 1", n)
	}
	if got := s.NextRun(acct, r.lastOf("a")); !got.Equal(b(11, 13, 0)) {
		t.Errorf("NextRun after the catch-up = %v, want tomorrow 13:00", got)
	}
	// Hour by hour (a tick each) until a minute before tomorrow's slot: nothing runs.
	for clock.Now().Before(b(11, 12, 0)) {
		clock.Advance(time.Hour)
		clock.waitIdle(t)
	}
	clock.Advance(b(11, 12, 59).Sub(clock.Now()))
	clock.waitIdle(t)
	if n := len(r.ran()); n != 1 {
		t.Fatalf("ran again before tomorrow 13:00: %d backups", n)
	}
	clock.Advance(time.Minute)
	clock.waitIdle(t)
	if n := len(r.ran()); n != 2 {
		t.Fatalf("tomorrow 13:00: %d backups, want 2", n)
	}
}
