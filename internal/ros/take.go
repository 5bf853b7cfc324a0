package ros

/*
#cgo LDFLAGS: -lrcl -lrcutils
#include <stdlib.h>
#include <rcl/subscription.h>
#include <rcutils/allocator.h>
#include <rcutils/error_handling.h>
#include <rcutils/types/uint8_array.h>

// ab_take_into takes one message of sub serialized into msg, whose buffer
// the middleware grows when it is too small and which is reused otherwise.
static rcl_ret_t ab_take_into(const rcl_subscription_t *sub, rcl_serialized_message_t *msg) {
	rcl_ret_t rc = rcl_take_serialized_message(sub, msg, NULL, NULL);
	if (rc != RCL_RET_OK) {
		rcutils_reset_error();
	}
	return rc;
}

static rcl_serialized_message_t *ab_serialized_new(void) {
	rcl_serialized_message_t *msg = malloc(sizeof *msg);
	if (msg == NULL) {
		return NULL;
	}
	*msg = rcutils_get_zero_initialized_uint8_array();
	rcutils_allocator_t a = rcutils_get_default_allocator();
	if (rcutils_uint8_array_init(msg, 0, &a) != RCUTILS_RET_OK) {
		rcutils_reset_error();
		free(msg);
		return NULL;
	}
	return msg;
}

static void ab_serialized_free(rcl_serialized_message_t *msg) {
	if (rcutils_uint8_array_fini(msg) != RCUTILS_RET_OK) {
		rcutils_reset_error(); // nothing to do about it at teardown
	}
	free(msg);
}
*/
import "C"

import (
	"fmt"
	"reflect"
	"runtime"
	"unsafe"

	"github.com/tiiuae/rclgo/pkg/rclgo"
)

// serializedTake takes a subscription's messages serialized into one C
// buffer kept from take to take. rclgo's TakeSerializedMessage allocates a
// C buffer and then a Go slice of the message's size for every take: for a
// 30 fps VGA camera, 27 MB/s of garbage that paces the collector and
// RSS. It is used instead when rclgo's subscription handle cannot be found
// (a version of rclgo that renamed it; TestSubscriptionHandle fails then).
type serializedTake struct {
	sub   *rclgo.Subscription
	rcl   *C.rcl_subscription_t // nil: through sub.TakeSerializedMessage
	msg   *C.rcl_serialized_message_t
	fresh bool // the slices take returns are the caller's to keep
}

// newSerializedTake prepares the takes of s; only the executor that runs
// s's callback may take.
func newSerializedTake(s *rclgo.Subscription) *serializedTake {
	t := &serializedTake{sub: s, fresh: true}
	h, ok := subscriptionHandle(s)
	if !ok || h == nil {
		return t
	}
	msg := C.ab_serialized_new()
	if msg == nil {
		return t
	}
	t.rcl, t.msg, t.fresh = (*C.rcl_subscription_t)(h), msg, false
	// The buffer lives as long as the callback that holds t: rclgo's node
	// keeps the subscription, and with it the callback, until it closes.
	runtime.AddCleanup(t, func(m *C.rcl_serialized_message_t) { C.ab_serialized_free(m) }, msg)
	return t
}

// take returns the next message's serialized bytes. Unless t.fresh, they
// are the reused C buffer: valid until the next take, to be copied by
// whatever keeps them.
func (t *serializedTake) take() ([]byte, error) {
	if t.rcl == nil {
		buf, _, err := t.sub.TakeSerializedMessage()
		return buf, err
	}
	if rc := C.ab_take_into(t.rcl, t.msg); rc != C.RCL_RET_OK {
		return nil, fmt.Errorf("rcl_take_serialized_message on %s: rcl_ret_t %d", t.sub.TopicName, int(rc))
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(t.msg.buffer)), int(t.msg.buffer_length)), nil
}

// subscriptionHandle is s's rcl_subscription_t, which rclgo does not
// export; ok is false when the field is not there (another rclgo).
func subscriptionHandle(s *rclgo.Subscription) (h unsafe.Pointer, ok bool) {
	f := reflect.ValueOf(s).Elem().FieldByName("rcl_subscription_t")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.Type().Elem().Size() != C.sizeof_rcl_subscription_t {
		return nil, false
	}
	return f.UnsafePointer(), true
}
