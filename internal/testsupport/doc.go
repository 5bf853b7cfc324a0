// Package testsupport holds helpers that the tests of several packages share.
// Only _test.go files import it.
package testsupport
