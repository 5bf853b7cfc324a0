package main

/*
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ab_arena_limit is the limit ab_limit_arenas set, 0 when it left glibc's.
static int ab_arena_limit;

// ab_limit_arenas runs when the program is loaded, before the Go runtime
// starts its threads: by the time main runs, their start-up has made glibc
// create eight arenas already, and an arena once made stays.
__attribute__((constructor)) static void ab_limit_arenas(void) {
	const char *tunables = getenv("GLIBC_TUNABLES");
	if (getenv("MALLOC_ARENA_MAX") != NULL || (tunables != NULL && strstr(tunables, "glibc.malloc.arena_max") != NULL)) {
		return;
	}
	if (mallopt(M_ARENA_MAX, 1) == 1) {
		ab_arena_limit = 1;
	}
}

static int ab_arenas_limit(void) { return ab_arena_limit; }

// ab_arenas is how many malloc arenas glibc has: the <heap nr=...> entries
// of malloc_info.
static int ab_arenas(void) {
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL) return -1;
	malloc_info(0, f);
	fclose(f);
	int n = 0;
	for (char *p = buf; (p = strstr(p, "<heap nr=")) != NULL; p++) n++;
	free(buf);
	return n;
}

static pthread_barrier_t ab_together;

static void *ab_alloc_once(void *arg) {
	void *p[256];
	pthread_barrier_wait(&ab_together); // all at once: glibc adds arenas under contention
	for (int r = 0; r < 100; r++) {
		for (int i = 0; i < 256; i++) p[i] = malloc(2000 + i);
		for (int i = 0; i < 256; i++) free(p[i]);
	}
	return NULL;
}

// ab_alloc_on_threads has n threads allocate at the same time, as Fast
// DDS's do.
static int ab_alloc_on_threads(int n) {
	pthread_t t[16];
	if (n > 16) n = 16;
	if (pthread_barrier_init(&ab_together, NULL, n) != 0) return -1;
	for (int i = 0; i < n; i++) {
		if (pthread_create(&t[i], NULL, ab_alloc_once, NULL) != 0) abort(); // the others would wait at the barrier for ever
	}
	for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
	pthread_barrier_destroy(&ab_together);
	return 0;
}
*/
import "C"

// The node keeps one malloc arena unless MALLOC_ARENA_MAX or a
// glibc.malloc.arena_max tunable in GLIBC_TUNABLES set a limit (glibc
// honours those itself). glibc gives a thread that finds the arenas busy
// one of its own, up to eight per core, and memory freed in an arena stays
// there: Fast DDS's threads held camera-frame-sized blocks in arenas of
// their own (BenchmarkNodeCameraLoad, /proc/<node>/smaps: one of 3.9 MB and
// three of 0.9 MB beside the main heap). MALLOC_ARENA_MAX=1 took the node's
// RSS there from 69.1–69.5 MB to 65.8 MB at 8.5 % of a core (2: 66.6 MB);
// the C side allocates a few times per message, so the one lock is not
// contended. The limit is set by a C constructor (above) because a limit
// set from main came too late.

// mallocArenaLimit is the limit the node set, 0 when it left glibc's.
func mallocArenaLimit() int { return int(C.ab_arenas_limit()) }

// arenaCount and allocOnThreads are how the test watches glibc (cgo is not
// allowed in a _test.go file).
func arenaCount() int           { return int(C.ab_arenas()) }
func allocOnThreads(n int) bool { return C.ab_alloc_on_threads(C.int(n)) == 0 }
