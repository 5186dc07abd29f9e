package maildir

import (
	"errors"

	"golang.org/x/sys/windows"
)

// inUse reports whether a remove failed because another handle holds the file open
// without allowing its deletion: Windows refuses (ERROR_SHARING_VIOLATION) where Unix
// would unlink it. Virus scanners and the search indexer open new files in tmp/ this way
// for a moment.
func inUse(err error) bool {
	return errors.Is(err, windows.ERROR_SHARING_VIOLATION)
}
