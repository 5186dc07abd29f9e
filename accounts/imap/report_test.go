package imap

import (
	"math"
	"slices"
	"strings"
	"testing"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

var kibTests = []struct {
	kib   int64
	bytes int64
	exact bool
}{
	{0, 0, true},
	{1, 1024, true},
	{59047, 60464128, true},
	{math.MaxInt64 / 1024, math.MaxInt64 / 1024 * 1024, true},
	{math.MaxInt64/1024 + 1, math.MaxInt64, false},
	{math.MaxInt64, math.MaxInt64, false},
	{-1, -1, false},
	{math.MinInt64, -1, false},
}

func TestKiBToBytes(t *testing.T) {
	for _, tt := range kibTests {
		got, exact := kibToBytes(tt.kib)
		if got != tt.bytes || exact != tt.exact {
			t.Errorf("kibToBytes(%d) = %d, %v; want %d, %v", tt.kib, got, exact, tt.bytes, tt.exact)
		}
	}
}

func TestPercent(t *testing.T) {
	tests := []struct {
		used, limit int64
		want        float64
		ok          bool
	}{
		{0, 100, 0, true},
		{50, 100, 50, true},
		{150, 100, 150, true}, // over quota is shown, not clamped
		{5, 0, 0, false},      // limit 0: unknown, never 0 % or +Inf
		{5, -1, 0, false},
		{-1, 100, 0, false},
		{math.MaxInt64, math.MaxInt64, 100, true},
		{math.MaxInt64, 1, float64(math.MaxInt64) * 100, true},
	}
	for _, tt := range tests {
		got, ok := percent(tt.used, tt.limit)
		if got != tt.want || ok != tt.ok {
			t.Errorf("percent(%d, %d) = %v, %v; want %v, %v", tt.used, tt.limit, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPickStorage(t *testing.T) {
	st := func(u, l int64) Resource { return Resource{ResourceStorage, u, l} }
	tests := []struct {
		name  string
		roots []Root
		want  Resource
		ok    bool
	}{
		{"none", nil, Resource{}, false},
		{"message only", []Root{{"r", []Resource{{ResourceMessage, 1, 2}}}}, Resource{}, false},
		{"fullest of several", []Root{{"a", []Resource{st(10, 100)}}, {"b", []Resource{st(90, 100)}}, {"c", []Resource{st(50, 100)}}}, st(90, 100), true},
		{"usable limit beats limit 0", []Root{{"a", []Resource{st(10, 0)}}, {"b", []Resource{st(1, 100)}}}, st(1, 100), true},
		{"only limit 0: first one", []Root{{"a", []Resource{st(10, 0)}}, {"b", []Resource{st(20, 0)}}}, st(10, 0), true},
		{"unknown usage skipped", []Root{{"a", []Resource{st(-1, 100)}}, {"b", []Resource{st(5, 100)}}}, st(5, 100), true},
		{"tie: first wins", []Root{{"a", []Resource{st(1, 2)}}, {"b", []Resource{st(2, 4)}}}, st(1, 2), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := pickStorage(tt.roots)
			if got != tt.want || ok != tt.ok {
				t.Errorf("pickStorage = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestReportUnknown(t *testing.T) {
	var nilReport *Report
	for _, r := range []*Report{nilReport, {}, {Supported: false, Roots: []Root{{"r", []Resource{{ResourceStorage, 1, 2}}}}}} {
		if _, _, ok := r.Storage(); ok {
			t.Errorf("%+v: Storage ok", r)
		}
		if _, ok := r.Percent(); ok {
			t.Errorf("%+v: Percent ok", r)
		}
	}
	r := &Report{Supported: true, Roots: []Root{{"r", []Resource{{ResourceStorage, 7, -1}}}}}
	if used, limit, ok := r.Storage(); used != 7 || limit != 0 || !ok {
		t.Errorf("unknown limit: Storage = %d, %d, %v; want 7, 0, true", used, limit, ok)
	}
}

func TestRootsFromData(t *testing.T) {
	res := func(kv ...any) map[goimap.QuotaResourceType]imapclient.QuotaResourceData {
		m := make(map[goimap.QuotaResourceType]imapclient.QuotaResourceData)
		for i := 0; i < len(kv); i += 3 {
			m[goimap.QuotaResourceType(kv[i].(string))] = imapclient.QuotaResourceData{Usage: int64(kv[i+1].(int)), Limit: int64(kv[i+2].(int))}
		}
		return m
	}
	got := rootsFromData([]imapclient.QuotaData{
		{Root: "user", Resources: res("STORAGE", 1, 2, "message", 3, 4, "X-CUSTOM", -7, 5)},
		{Root: "user", Resources: res("STORAGE", 99, 100)}, // duplicate root: ignored
		{Root: "", Resources: res()},
	})
	want := []Root{
		{"user", []Resource{{"MESSAGE", 3, 4}, {"STORAGE", 1024, 2048}, {"X-CUSTOM", -1, 5}}},
		{"", nil},
	}
	if !rootsEqual(got, want) {
		t.Errorf("rootsFromData = %+v, want %+v", got, want)
	}
}

// FuzzQuotaConversion feeds arbitrary resource values through our side of the quota
// handling (unit conversion, root/resource normalisation, the choice for the bar) and
// checks the invariants the GUI relies on.
func FuzzQuotaConversion(f *testing.F) {
	for _, tt := range kibTests {
		f.Add("User quota", "STORAGE", tt.kib, tt.kib/2, "MESSAGE", int64(1), int64(0))
	}
	f.Add("r", "storage", int64(150), int64(100), "STORAGE", int64(-5), int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, root, name1 string, u1, l1 int64, name2 string, u2, l2 int64) {
		data := []imapclient.QuotaData{
			{Root: root, Resources: map[goimap.QuotaResourceType]imapclient.QuotaResourceData{
				goimap.QuotaResourceType(name1): {Usage: u1, Limit: l1},
			}},
			{Root: root + "2", Resources: map[goimap.QuotaResourceType]imapclient.QuotaResourceData{
				goimap.QuotaResourceType(name1): {Usage: u2, Limit: l2},
				goimap.QuotaResourceType(name2): {Usage: u1, Limit: l2},
			}},
		}
		r := &Report{Supported: true, Roots: rootsFromData(data)}
		checkReport(t, r)
	})
}

// checkReport asserts what every Report must satisfy, whatever the server said.
func checkReport(t *testing.T, r *Report) {
	t.Helper()
	for _, root := range r.Roots {
		if !slices.IsSortedFunc(root.Resources, func(a, b Resource) int { return strings.Compare(a.Name, b.Name) }) {
			t.Fatalf("resources not sorted: %+v", root)
		}
		for _, res := range root.Resources {
			if res.Name != strings.ToUpper(res.Name) || res.Usage < -1 || res.Limit < -1 {
				t.Fatalf("bad resource %+v", res)
			}
		}
	}
	used, limit, ok := r.Storage()
	if ok && (used < 0 || limit < 0) {
		t.Fatalf("Storage = %d, %d, true", used, limit)
	}
	p, ok := r.Percent()
	if ok && (math.IsNaN(p) || math.IsInf(p, 0) || p < 0 || limit <= 0) {
		t.Fatalf("Percent = %v with used %d limit %d", p, used, limit)
	}
	if !ok && p != 0 {
		t.Fatalf("unknown Percent = %v, want 0", p)
	}
	for _, f := range r.Folders {
		if f.Messages < -1 || f.Size < -1 {
			t.Fatalf("bad folder %+v", f)
		}
	}
}
