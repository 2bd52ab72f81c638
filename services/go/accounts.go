package main

import (
	"errors"
	"net/url"
	"strconv"
)

// maxIDDigits is the longest id, in digits, that is looked up rather than refused.
const maxIDDigits = 10

// Errors of a lookup; the handler maps them to 404 and 400.
var (
	errNotFound  = errors.New("account not found")
	errInvalidID = errors.New("invalid account id")
)

// Account is one account, serialised with its keys in this order.
type Account struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ServedBy string `json:"servedBy"`
}

// Store holds the seeded accounts in memory, keyed by id. It is read-only once built,
// so handlers share it without locking.
type Store struct {
	accounts map[string]Account
}

// NewStore seeds the 100 accounts of the contract: id 10000+i is named Person_i.
func NewStore(hostname string) *Store {
	s := &Store{accounts: make(map[string]Account, 100)}
	for i := 0; i < 100; i++ {
		id := strconv.Itoa(10000 + i)
		s.accounts[id] = Account{ID: id, Name: "Person_" + strconv.Itoa(i), ServedBy: hostname}
	}
	return s
}

// FindRaw looks up the account named by one raw path segment, percent-decoded once.
// Ids are compared as strings, so "010000" is well formed but not found.
func (s *Store) FindRaw(segment string) (Account, error) {
	id, err := url.PathUnescape(segment)
	if err != nil || !wellFormed(id) {
		return Account{}, errInvalidID
	}
	account, ok := s.accounts[id]
	if !ok {
		return Account{}, errNotFound
	}
	return account, nil
}

// wellFormed reports whether id is 1 to maxIDDigits ASCII digits. Anything else, invalid
// UTF-8 included, fails this check.
func wellFormed(id string) bool {
	if len(id) == 0 || len(id) > maxIDDigits {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}
