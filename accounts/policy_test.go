package accounts_test

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on machines without a zoneinfo database

	"github.com/postfach/postfach/accounts"
)

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		in   string
		want accounts.Schedule
		str  string // String() of the result; "" means in itself
	}{
		{in: "off", want: accounts.Schedule{Kind: accounts.Off}},
		{in: " OFF ", want: accounts.Schedule{Kind: accounts.Off}, str: "off"},
		{in: "every 6h", want: accounts.Schedule{Kind: accounts.Hourly, Hours: 6}},
		{in: "every 1h", want: accounts.Schedule{Kind: accounts.Hourly, Hours: 1}},
		{in: "every 168h", want: accounts.Schedule{Kind: accounts.Hourly, Hours: 168}},
		{in: "Every 12H", want: accounts.Schedule{Kind: accounts.Hourly, Hours: 12}, str: "every 12h"},
		{in: "daily 02:30", want: accounts.Schedule{Kind: accounts.Daily, Minute: 150}},
		{in: "daily 00:00", want: accounts.Schedule{Kind: accounts.Daily, Minute: 0}},
		{in: "daily 23:59", want: accounts.Schedule{Kind: accounts.Daily, Minute: 23*60 + 59}},
		{in: "daily 2:30", want: accounts.Schedule{Kind: accounts.Daily, Minute: 150}, str: "daily 02:30"},
		{in: "  daily\t13:00 ", want: accounts.Schedule{Kind: accounts.Daily, Minute: 13 * 60}, str: "daily 13:00"},
		{in: "weekly mon 02:30", want: accounts.Schedule{Kind: accounts.Weekly, Weekday: time.Monday, Minute: 150}},
		{in: "weekly sun 00:00", want: accounts.Schedule{Kind: accounts.Weekly, Weekday: time.Sunday, Minute: 0}},
		{in: "weekly sat 23:59", want: accounts.Schedule{Kind: accounts.Weekly, Weekday: time.Saturday, Minute: 23*60 + 59}},
		{in: "WEEKLY Fri 18:05", want: accounts.Schedule{Kind: accounts.Weekly, Weekday: time.Friday, Minute: 18*60 + 5}, str: "weekly fri 18:05"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := accounts.ParseSchedule(tt.in)
			if err != nil {
				t.Fatalf("ParseSchedule(%q) = %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseSchedule(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
			str := tt.str
			if str == "" {
				str = tt.in
			}
			if got.String() != str {
				t.Errorf("String() = %q, want %q", got.String(), str)
			}
			again, err := accounts.ParseSchedule(got.String())
			if err != nil || again != got {
				t.Errorf("ParseSchedule(String()) = %+v, %v; want %+v", again, err, got)
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	for _, in := range []string{
		"", "   ", "on", "never", "off now",
		"every", "every 6", "every h", "every 6m", "every 1.5h", "every six h", "every 6 h",
		"every 0h", "every -1h", "every 169h", "every 99999999999999999999h",
		"daily", "daily 24:00", "daily 02:60", "daily 2:3", "daily 02:300", "daily 02-30", "daily 0230",
		"daily noon", "daily 02:30 extra", "daily :30", "daily 02:", "daily -1:30", "daily 02:-5",
		"weekly", "weekly 02:30", "weekly mon", "weekly monday 02:30", "weekly xyz 02:30",
		"weekly mon 25:00", "weekly mon 02:30 x", "hourly 6", "monthly 1 02:30",
	} {
		t.Run(in, func(t *testing.T) {
			if got, err := accounts.ParseSchedule(in); err == nil {
				t.Errorf("ParseSchedule(%q) = %+v, nil; want an error", in, got)
			}
		})
	}
}

// TestScheduleStringRoundTrip checks every valid schedule, not just examples.
func TestScheduleStringRoundTrip(t *testing.T) {
	var all []accounts.Schedule
	all = append(all, accounts.Schedule{Kind: accounts.Off}, accounts.DefaultSchedule())
	for h := 1; h <= 168; h++ {
		all = append(all, accounts.Schedule{Kind: accounts.Hourly, Hours: h})
	}
	for m := 0; m < 24*60; m++ {
		all = append(all, accounts.Schedule{Kind: accounts.Daily, Minute: m})
		all = append(all, accounts.Schedule{Kind: accounts.Weekly, Minute: m, Weekday: time.Weekday(m % 7)})
	}
	for _, s := range all {
		if err := s.Validate(); err != nil {
			t.Fatalf("%+v: Validate() = %v", s, err)
		}
		got, err := accounts.ParseSchedule(s.String())
		if err != nil || got != s {
			t.Fatalf("ParseSchedule(%q) = %+v, %v; want %+v", s.String(), got, err, s)
		}
	}
}

func TestScheduleValidate(t *testing.T) {
	tests := []struct {
		name string
		s    accounts.Schedule
		ok   bool
	}{
		{"off", accounts.Schedule{Kind: accounts.Off}, true},
		{"default", accounts.DefaultSchedule(), true},
		{"empty kind", accounts.Schedule{}, false},
		{"unknown kind", accounts.Schedule{Kind: "monthly"}, false},
		{"every 0h", accounts.Schedule{Kind: accounts.Hourly}, false},
		{"every 169h", accounts.Schedule{Kind: accounts.Hourly, Hours: 169}, false},
		{"daily minute -1", accounts.Schedule{Kind: accounts.Daily, Minute: -1}, false},
		{"daily minute 1440", accounts.Schedule{Kind: accounts.Daily, Minute: 1440}, false},
		{"weekly weekday 7", accounts.Schedule{Kind: accounts.Weekly, Weekday: 7}, false},
		{"weekly weekday -1", accounts.Schedule{Kind: accounts.Weekly, Weekday: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate(%+v) = %v, want ok=%v", tt.s, err, tt.ok)
			}
		})
	}
}

func mustSchedule(t *testing.T, s string) accounts.Schedule {
	t.Helper()
	sc, err := accounts.ParseSchedule(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestScheduleNext(t *testing.T) {
	ber := berlin(t)
	utc := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, time.UTC) }
	b := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, ber) }
	tests := []struct {
		name     string
		schedule string
		t        time.Time
		want     time.Time
		// wantGap, if set, is the real time between t and the result (DST cases).
		wantGap time.Duration
	}{
		{name: "off has no next", schedule: "off", t: utc(2025, 1, 10, 12, 0), want: time.Time{}},
		{name: "every 6h", schedule: "every 6h", t: utc(2025, 1, 10, 12, 34), want: utc(2025, 1, 10, 18, 34)},
		{name: "every 24h over midnight", schedule: "every 24h", t: utc(2025, 1, 31, 23, 0), want: utc(2025, 2, 1, 23, 0)},
		{name: "every 6h is real time across spring forward", schedule: "every 6h", t: b(2025, 3, 30, 0, 0), want: b(2025, 3, 30, 7, 0), wantGap: 6 * time.Hour},

		{name: "daily later today", schedule: "daily 02:30", t: utc(2025, 1, 10, 1, 0), want: utc(2025, 1, 10, 2, 30)},
		{name: "daily strictly after", schedule: "daily 02:30", t: utc(2025, 1, 10, 2, 30), want: utc(2025, 1, 11, 2, 30)},
		{name: "daily a second after", schedule: "daily 02:30", t: utc(2025, 1, 10, 2, 30).Add(time.Second), want: utc(2025, 1, 11, 2, 30)},
		{name: "daily a second before", schedule: "daily 02:30", t: utc(2025, 1, 10, 2, 30).Add(-time.Second), want: utc(2025, 1, 10, 2, 30)},
		{name: "daily tomorrow", schedule: "daily 02:30", t: utc(2025, 1, 10, 3, 0), want: utc(2025, 1, 11, 2, 30)},
		{name: "daily over month end", schedule: "daily 00:00", t: utc(2024, 2, 29, 0, 0), want: utc(2024, 3, 1, 0, 0)},
		{name: "daily over year end", schedule: "daily 23:59", t: utc(2024, 12, 31, 23, 59), want: utc(2025, 1, 1, 23, 59)},
		{name: "daily in the location of t", schedule: "daily 13:00", t: b(2025, 1, 10, 12, 0), want: b(2025, 1, 10, 13, 0), wantGap: time.Hour},

		// Europe/Berlin: CET→CEST on 2025-03-30 at 02:00 (02:00–03:00 does not exist),
		// CEST→CET on 2025-10-26 at 03:00 (02:00–03:00 happens twice).
		{name: "daily keeps wall clock into summer time", schedule: "daily 13:00", t: b(2025, 3, 29, 13, 0), want: b(2025, 3, 30, 13, 0), wantGap: 23 * time.Hour},
		{name: "daily keeps wall clock into winter time", schedule: "daily 13:00", t: b(2025, 10, 25, 13, 0), want: b(2025, 10, 26, 13, 0), wantGap: 25 * time.Hour},
		{name: "daily in the skipped hour runs at 03:30", schedule: "daily 02:30", t: b(2025, 3, 29, 2, 30), want: b(2025, 3, 30, 3, 30), wantGap: 24 * time.Hour},
		{name: "daily after the skipped hour", schedule: "daily 02:30", t: b(2025, 3, 30, 3, 30), want: b(2025, 3, 31, 2, 30), wantGap: 23 * time.Hour},
		{name: "daily day after winter time", schedule: "daily 02:30", t: b(2025, 10, 26, 12, 0), want: b(2025, 10, 27, 2, 30)},

		{name: "weekly same day later", schedule: "weekly mon 02:30", t: utc(2025, 1, 13, 1, 0), want: utc(2025, 1, 13, 2, 30)},
		{name: "weekly strictly after", schedule: "weekly mon 02:30", t: utc(2025, 1, 13, 2, 30), want: utc(2025, 1, 20, 2, 30)},
		{name: "weekly midweek", schedule: "weekly mon 02:30", t: utc(2025, 1, 15, 9, 0), want: utc(2025, 1, 20, 2, 30)},
		{name: "weekly the day before", schedule: "weekly mon 02:30", t: utc(2025, 1, 19, 23, 59), want: utc(2025, 1, 20, 2, 30)},
		{name: "weekly sunday", schedule: "weekly sun 00:00", t: utc(2025, 1, 13, 0, 0), want: utc(2025, 1, 19, 0, 0)},
		{name: "weekly saturday over month end", schedule: "weekly sat 10:00", t: utc(2025, 1, 26, 0, 0), want: utc(2025, 2, 1, 10, 0)},
		{name: "weekly across spring forward", schedule: "weekly sun 13:00", t: b(2025, 3, 23, 13, 0), want: b(2025, 3, 30, 13, 0), wantGap: 7*24*time.Hour - time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustSchedule(t, tt.schedule).Next(tt.t)
			if !got.Equal(tt.want) {
				t.Fatalf("Next(%v) = %v, want %v", tt.t, got, tt.want)
			}
			if tt.want.IsZero() {
				return
			}
			if got.Location() != tt.t.Location() {
				t.Errorf("Next(%v) is in %v, want %v", tt.t, got.Location(), tt.t.Location())
			}
			if !got.After(tt.t) {
				t.Errorf("Next(%v) = %v is not after t", tt.t, got)
			}
			if tt.wantGap != 0 && got.Sub(tt.t) != tt.wantGap {
				t.Errorf("Next(%v) - t = %v, want %v", tt.t, got.Sub(tt.t), tt.wantGap)
			}
		})
	}
}

// TestScheduleNextFallBack: on the night the clocks go back, 02:30 happens twice; a daily
// 02:30 backup must still run once that night.
func TestScheduleNextFallBack(t *testing.T) {
	ber := berlin(t)
	s := mustSchedule(t, "daily 02:30")
	// The day before, the next run is on the 26th at a wall clock of 02:30 (either one).
	got := s.Next(time.Date(2025, 10, 25, 2, 30, 0, 0, ber))
	if y, mo, d := got.Date(); y != 2025 || mo != 10 || d != 26 || got.Hour() != 2 || got.Minute() != 30 {
		t.Errorf("Next(25 Oct 02:30) = %v, want 26 Oct 02:30", got)
	}

	first := time.Date(2025, 10, 26, 0, 45, 0, 0, time.UTC).In(ber) // 02:45 CEST
	next := s.Next(first)
	if _, _, d := next.Date(); d != 27 {
		t.Errorf("Next(%v) = %v, want 27 Oct 02:30 (one run per night)", first, next)
	}
}

func TestScheduleDue(t *testing.T) {
	ber := berlin(t)
	b := func(d, h, mi int) time.Time { return time.Date(2025, 1, d, h, mi, 0, 0, ber) } // 2025-01-13 is a Monday
	tests := []struct {
		name      string
		schedule  string
		last, now time.Time
		want      bool
	}{
		{"off never due", "off", b(1, 0, 0), b(31, 0, 0), false},
		{"off never due even without a run", "off", time.Time{}, b(31, 0, 0), false},
		{"first run due at once", "daily 02:30", time.Time{}, b(13, 12, 0), true},
		{"first run due at once weekly", "weekly mon 02:30", time.Time{}, b(15, 12, 0), true},

		{"daily not yet", "daily 02:30", b(13, 2, 30), b(13, 12, 0), false},
		{"daily a minute early", "daily 02:30", b(13, 2, 30), b(14, 2, 29), false},
		{"daily on time", "daily 02:30", b(13, 2, 30), b(14, 2, 30), true},
		{"daily catch-up after missed runs", "daily 02:30", b(13, 2, 30), b(16, 10, 0), true},
		{"daily catch-up when PC was off at 02:30", "daily 02:30", b(13, 2, 30), b(14, 9, 0), true},
		{"daily late run counts for the day", "daily 02:30", b(14, 9, 0), b(14, 23, 0), false},
		{"daily clock went backwards", "daily 02:30", b(14, 2, 30), b(13, 12, 0), false},

		{"every 6h early", "every 6h", b(13, 0, 0), b(13, 5, 59), false},
		{"every 6h on time", "every 6h", b(13, 0, 0), b(13, 6, 0), true},
		{"every 6h catch-up", "every 6h", b(13, 0, 0), b(15, 0, 0), true},

		{"weekly not yet", "weekly mon 02:30", b(13, 2, 30), b(19, 23, 0), false},
		{"weekly on time", "weekly mon 02:30", b(13, 2, 30), b(20, 2, 30), true},
		{"weekly catch-up on tuesday", "weekly mon 02:30", b(13, 2, 30), b(21, 8, 0), true},
		{"weekly catch-up after weeks", "weekly mon 02:30", b(6, 2, 30), b(29, 8, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustSchedule(t, tt.schedule).Due(tt.last, tt.now); got != tt.want {
				t.Errorf("Due(%v, %v) = %v, want %v", tt.last, tt.now, got, tt.want)
			}
		})
	}
}

func TestRetentionValidate(t *testing.T) {
	tests := []struct {
		r       accounts.Retention
		ok      bool
		wantStr string
	}{
		{accounts.Retention{Mode: accounts.KeepForever}, true, "keep on server"},
		{accounts.Retention{Mode: accounts.DeleteNow}, true, "delete from server right after backup"},
		{accounts.DefaultRetention(), true, "delete from server 14 days after backup"},
		{accounts.Retention{Mode: accounts.DeleteAfter, Days: 1}, true, "delete from server 1 days after backup"},
		{accounts.Retention{Mode: accounts.DeleteAfter, Days: 3650}, true, "delete from server 3650 days after backup"},
		{accounts.Retention{Mode: accounts.DeleteAfter, Days: 0}, false, ""},
		{accounts.Retention{Mode: accounts.DeleteAfter, Days: -1}, false, ""},
		{accounts.Retention{Mode: accounts.DeleteAfter, Days: 3651}, false, ""},
		{accounts.Retention{}, false, ""},
		{accounts.Retention{Mode: "delete"}, false, ""},
		{accounts.Retention{Mode: "KEEP"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.r.Mode)+"/"+tt.r.String(), func(t *testing.T) {
			err := tt.r.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate(%+v) = %v, want ok=%v", tt.r, err, tt.ok)
			}
			if tt.ok && tt.r.String() != tt.wantStr {
				t.Errorf("String() = %q, want %q", tt.r.String(), tt.wantStr)
			}
		})
	}
	if d := accounts.DefaultRetention(); d.Mode != accounts.DeleteAfter || d.Days != accounts.DefaultKeepDays {
		t.Errorf("DefaultRetention() = %+v", d)
	}
}

func TestBackupPolicyValidate(t *testing.T) {
	good := accounts.BackupPolicy{Dir: "/srv/backup", Schedule: accounts.DefaultSchedule(), Retention: accounts.DefaultRetention()}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	bad := accounts.BackupPolicy{}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate() of the zero policy = nil")
	}
	for _, want := range []string{"backup folder", "unknown schedule kind", "unknown retention"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %q, missing %q", err, want)
		}
	}
}

// TestScheduleLocalTimeWithUTCHistory runs a schedule minute by minute through Europe/Berlin
// days while the last run is kept in UTC, as the run history stores it: a backup is due
// by the local wall clock, whatever location the history uses.
func TestScheduleLocalTimeWithUTCHistory(t *testing.T) {
	ber := berlin(t)
	b := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, ber) }
	tests := []struct {
		name     string
		schedule string
		last     time.Time // zero: never backed up
		from, to time.Time // the simulated stretch of local time
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
			name: "catch-up then the slot", schedule: "daily 13:00",
			last: b(2025, 7, 8, 13, 0), from: b(2025, 7, 10, 9, 0), to: b(2025, 7, 11, 0, 0),
			want: []time.Time{b(2025, 7, 10, 9, 0), b(2025, 7, 10, 13, 0)},
		},
		{
			name: "weekly mon 02:30 in winter lands on monday", schedule: "weekly mon 02:30",
			last: b(2025, 1, 6, 2, 30), from: b(2025, 1, 7, 0, 0), to: b(2025, 1, 21, 0, 0),
			want: []time.Time{b(2025, 1, 13, 2, 30), b(2025, 1, 20, 2, 30)},
		},
		{
			name: "weekly mon 00:30 in summer lands on monday", schedule: "weekly mon 00:30",
			last: b(2025, 7, 7, 0, 30), from: b(2025, 7, 8, 0, 0), to: b(2025, 7, 22, 0, 0),
			want: []time.Time{b(2025, 7, 14, 0, 30), b(2025, 7, 21, 0, 30)},
		},
		{
			// 2025-03-30 02:00 CET → 03:00 CEST: 02:30 does not exist; the run comes at
			// 03:30 CEST, the moment 02:30 CET would have been, once.
			name: "daily 02:30 across spring forward", schedule: "daily 02:30",
			last: b(2025, 3, 28, 2, 30), from: b(2025, 3, 29, 0, 0), to: b(2025, 4, 1, 0, 0),
			want: []time.Time{b(2025, 3, 29, 2, 30), b(2025, 3, 30, 3, 30), b(2025, 3, 31, 2, 30)},
		},
		{
			// 2025-10-26 03:00 CEST → 02:00 CET: 02:30 happens twice; the run comes once.
			name: "daily 02:30 across fall back", schedule: "daily 02:30",
			last: b(2025, 10, 24, 2, 30), from: b(2025, 10, 25, 0, 0), to: b(2025, 10, 28, 0, 0),
			want: []time.Time{b(2025, 10, 25, 2, 30), b(2025, 10, 26, 2, 30), b(2025, 10, 27, 2, 30)},
		},
		{
			name: "daily 13:00 across fall back", schedule: "daily 13:00",
			last: b(2025, 10, 25, 13, 0), from: b(2025, 10, 25, 14, 0), to: b(2025, 10, 28, 0, 0),
			want: []time.Time{b(2025, 10, 26, 13, 0), b(2025, 10, 27, 13, 0)},
		},
		{
			name: "every 6h is real time across spring forward", schedule: "every 6h",
			last: b(2025, 3, 29, 18, 0), from: b(2025, 3, 29, 18, 1), to: b(2025, 3, 30, 12, 0),
			want: []time.Time{b(2025, 3, 30, 0, 0), b(2025, 3, 30, 7, 0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSchedule(t, tt.schedule)
			last := tt.last.UTC() // the history's location
			var got []time.Time
			// Step in real time, not wall clock, so that the repeated hour is lived twice.
			for now := tt.from; now.Before(tt.to); now = now.Add(time.Minute).In(ber) {
				if s.Due(last, now) {
					got = append(got, now)
					last = now.UTC()
				}
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
