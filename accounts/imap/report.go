package imap

import (
	"cmp"
	"math"
	"slices"
	"strings"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Resource names defined by RFC 9208 section 5. Servers may report others; they are kept
// as sent (upper-cased).
const (
	ResourceStorage = "STORAGE" // sum of message sizes, sent in units of 1024 octets
	ResourceMessage = "MESSAGE" // number of messages
	ResourceMailbox = "MAILBOX" // number of mailboxes
)

// Resource is one limited resource of a quota root.
type Resource struct {
	// Name is the resource type in upper case: ResourceStorage, ResourceMessage, ...
	Name string
	// Usage and Limit are in bytes for STORAGE (the server counts KiB; see kibToBytes)
	// and plain counts for every other resource. A value too large for int64 after the
	// conversion saturates at math.MaxInt64; a value that cannot be right (negative) is -1,
	// which every consumer treats as "unknown".
	Usage, Limit int64
}

// Root is a quota root (RFC 9208 section 3): a named set of limits shared by one or
// more mailboxes.
type Root struct {
	Name      string
	Resources []Resource // sorted by Name
}

// Folder is one mailbox with its size as the server reports it.
type Folder struct {
	Name string
	// Messages is the number of messages, -1 if the server did not say (a STATUS that
	// failed, or a LIST-STATUS answer without status for this mailbox).
	Messages int64
	// Size is the total size in bytes (RFC 8438 STATUS=SIZE), -1 if the server does not
	// offer it or did not say. It is the sum of RFC822.SIZE, not bytes on disk.
	Size int64
}

// Report is what one quota poll learned about an account.
type Report struct {
	// Supported is false when the server does not report quota (no QUOTA capability, or
	// it refused GETQUOTAROOT). The GUI must show "unknown" then, never 0 %.
	Supported bool
	// Roots are the quota roots of INBOX, in the server's order, without duplicates. A
	// supported server may legitimately return none: no limit applies to INBOX.
	Roots []Root
	// Folders is filled only when Fetch was asked for folders, sorted by name.
	Folders []Folder
	// Caps are the capabilities the server announced after login (over TLS unless the
	// user chose plaintext), sorted.
	Caps []string
}

// Storage returns the STORAGE usage and limit in bytes that the quota bar shows. It comes
// from INBOX's quota roots; when several roots limit STORAGE (RFC 9208 allows it, and any
// of them can refuse new mail), the one closest to full is chosen. ok is false when the
// server reports no usable STORAGE resource. A limit of 0 is returned as is: Percent
// then reports "unknown" rather than dividing by it.
func (r *Report) Storage() (used, limit int64, ok bool) {
	if r == nil || !r.Supported {
		return 0, 0, false
	}
	res, ok := pickStorage(r.Roots)
	if !ok {
		return 0, 0, false
	}
	return res.Usage, max(res.Limit, 0), true
}

// Percent returns how full the storage quota is, in percent. It is not clamped: an
// account over its quota (which servers do allow, e.g. after a limit was lowered) gives
// more than 100, and the GUI decides how to draw that. ok is false when the percentage is
// unknown: no quota support, no STORAGE resource, or a limit of 0.
func (r *Report) Percent() (float64, bool) {
	used, limit, ok := r.Storage()
	if !ok {
		return 0, false
	}
	return percent(used, limit)
}

// kibToBytes converts an RFC 9208 STORAGE value (units of 1024 octets, section 5.1) to
// bytes. exact is false when the value is negative (returned as -1) or so large that the
// product would overflow int64 (returned as math.MaxInt64, about 8 EiB: effectively
// "unlimited", and still ordered correctly against the other values).
func kibToBytes(kib int64) (bytes int64, exact bool) {
	switch {
	case kib < 0:
		return -1, false
	case kib > math.MaxInt64/1024:
		return math.MaxInt64, false
	default:
		return kib * 1024, true
	}
}

// percent returns used/limit in percent; ok is false for a limit ≤ 0 or a negative
// (unknown) usage, so that a missing or zero limit never shows up as 0 % or as +Inf.
func percent(used, limit int64) (float64, bool) {
	if used < 0 || limit <= 0 {
		return 0, false
	}
	return float64(used) / float64(limit) * 100, true
}

// pickStorage returns the STORAGE resource the quota bar should show: among the roots
// with a usable limit, the fullest one; failing that, the first STORAGE resource with a
// known usage.
func pickStorage(roots []Root) (Resource, bool) {
	var (
		best         Resource
		bestPct      = -1.0
		fallback     Resource
		haveFallback bool
	)
	for _, root := range roots {
		for _, res := range root.Resources {
			if res.Name != ResourceStorage || res.Usage < 0 {
				continue
			}
			if p, ok := percent(res.Usage, res.Limit); ok {
				if p > bestPct {
					best, bestPct = res, p
				}
			} else if !haveFallback {
				fallback, haveFallback = res, true
			}
		}
	}
	if bestPct >= 0 {
		return best, true
	}
	return fallback, haveFallback
}

// rootsFromData turns go-imap's QUOTA responses into Roots: duplicate roots dropped
// (first wins), resource names upper-cased (RFC 9208 atoms are case-insensitive) and
// sorted so that reports compare equal across polls, STORAGE converted to bytes.
func rootsFromData(data []imapclient.QuotaData) []Root {
	var roots []Root
	seen := make(map[string]bool, len(data))
	for _, d := range data {
		if seen[d.Root] {
			continue
		}
		seen[d.Root] = true
		names := make([]string, 0, len(d.Resources))
		for name := range d.Resources {
			names = append(names, string(name))
		}
		slices.Sort(names)
		root := Root{Name: d.Root}
		seenRes := make(map[string]bool, len(names))
		for _, name := range names {
			v := d.Resources[goimap.QuotaResourceType(name)]
			upper := strings.ToUpper(name)
			if seenRes[upper] {
				continue
			}
			seenRes[upper] = true
			root.Resources = append(root.Resources, convertResource(upper, v.Usage, v.Limit))
		}
		slices.SortFunc(root.Resources, func(a, b Resource) int { return cmp.Compare(a.Name, b.Name) })
		roots = append(roots, root)
	}
	return roots
}

// convertResource applies the unit and sanity rules of Resource to one server value.
func convertResource(name string, usage, limit int64) Resource {
	if name == ResourceStorage {
		usage, _ = kibToBytes(usage)
		limit, _ = kibToBytes(limit)
		return Resource{Name: name, Usage: usage, Limit: limit}
	}
	return Resource{Name: name, Usage: max(usage, -1), Limit: max(limit, -1)}
}
