//go:build !unix

package main

import "errors"

// Cyrus runs only on Unix (cyrus.go).
var errNoCyrus = errors.New("the Cyrus lab runs on Unix only")

func cyrusPopulate(string, []string) error { return errNoCyrus }
func cyrusServe(string, []string) error    { return errNoCyrus }
