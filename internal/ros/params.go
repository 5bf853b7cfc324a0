package ros

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	"github.com/abbridge/ab_bridge/internal/params"
	rcl_interfaces_msg "github.com/abbridge/ab_bridge/msgs/rcl_interfaces/msg"
	rcl_interfaces_srv "github.com/abbridge/ab_bridge/msgs/rcl_interfaces/srv"
)

// ParameterEventsTopic is where every node announces its parameter changes.
const ParameterEventsTopic = "/parameter_events"

// parametersQoS is rmw_qos_profile_parameters, what rclcpp and rclpy give
// the parameter services: reliable, volatile, a deep queue, so that a tool
// setting many parameters at once loses no request.
func parametersQoS() rclgo.QosProfile {
	q := rclgo.NewDefaultQosProfile()
	q.Depth = 1000
	q.Reliability = rclgo.ReliabilityReliable
	q.Durability = rclgo.DurabilityVolatile
	return q
}

// parameterEventsQoS is rmw_qos_profile_parameter_events (rclcpp's
// ParameterEventsQoS): the same profile, so that `ros2 param` tools and
// rclcpp's ParameterEventHandler match it.
func parameterEventsQoS() rclgo.QosProfile { return parametersQoS() }

// ParameterServices serves store on the node as rclcpp and rclpy serve a
// node's parameters: ~/list_parameters, ~/get_parameters,
// ~/get_parameter_types, ~/describe_parameters, ~/set_parameters and
// ~/set_parameters_atomically (rcl_interfaces/srv), and every change on
// /parameter_events, beginning with one event that declares them all.
// rclgo has no parameter API; this is it. The handlers run on the
// executor; log, when set, hears of each change and of failed publishes.
func ParameterServices(store *params.Store, log *slog.Logger) Subscriber {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(n *rclgo.Node) error {
		ps := &paramServer{store: store, log: log, node: n.FullyQualifiedName()}
		if err := ps.serve(n); err != nil {
			return err
		}
		ps.announce(store.Declared())
		return nil
	}
}

type paramServer struct {
	store *params.Store
	log   *slog.Logger
	node  string
	// events is used only on the executor (service handlers and the
	// declaring call before spinning): no lock.
	events *rcl_interfaces_msg.ParameterEventPublisher
}

func (ps *paramServer) serve(n *rclgo.Node) error {
	var err error
	if ps.events, err = rcl_interfaces_msg.NewParameterEventPublisher(n, ParameterEventsTopic,
		&rclgo.PublisherOptions{Qos: parameterEventsQoS()}); err != nil {
		return fmt.Errorf("ros: %s publisher: %w", ParameterEventsTopic, err)
	}
	opts := &rclgo.ServiceOptions{Qos: parametersQoS()}
	for _, s := range []struct {
		name string
		make func() error
	}{
		{"~/list_parameters", func() error {
			_, err := rcl_interfaces_srv.NewListParametersService(n, "~/list_parameters", opts,
				func(_ *rclgo.ServiceInfo, req *rcl_interfaces_srv.ListParameters_Request, send rcl_interfaces_srv.ListParametersServiceResponseSender) {
					ps.log.Debug("parameter request", "service", "list_parameters", "prefixes", req.Prefixes, "depth", req.Depth)
					resp := rcl_interfaces_srv.NewListParameters_Response()
					resp.Result.Names, resp.Result.Prefixes = ps.store.List(req.Prefixes, req.Depth)
					ps.reply(send.SendResponse(resp))
				})
			return err
		}},
		{"~/get_parameters", func() error {
			_, err := rcl_interfaces_srv.NewGetParametersService(n, "~/get_parameters", opts,
				func(_ *rclgo.ServiceInfo, req *rcl_interfaces_srv.GetParameters_Request, send rcl_interfaces_srv.GetParametersServiceResponseSender) {
					ps.log.Debug("parameter request", "service", "get_parameters", "names", req.Names)
					resp := rcl_interfaces_srv.NewGetParameters_Response()
					for _, v := range ps.store.Get(req.Names) {
						resp.Values = append(resp.Values, toValueMsg(v))
					}
					ps.reply(send.SendResponse(resp))
				})
			return err
		}},
		{"~/get_parameter_types", func() error {
			_, err := rcl_interfaces_srv.NewGetParameterTypesService(n, "~/get_parameter_types", opts,
				func(_ *rclgo.ServiceInfo, req *rcl_interfaces_srv.GetParameterTypes_Request, send rcl_interfaces_srv.GetParameterTypesServiceResponseSender) {
					resp := rcl_interfaces_srv.NewGetParameterTypes_Response()
					for _, t := range ps.store.Types(req.Names) {
						resp.Types = append(resp.Types, uint8(t))
					}
					ps.reply(send.SendResponse(resp))
				})
			return err
		}},
		{"~/describe_parameters", func() error {
			_, err := rcl_interfaces_srv.NewDescribeParametersService(n, "~/describe_parameters", opts,
				func(_ *rclgo.ServiceInfo, req *rcl_interfaces_srv.DescribeParameters_Request, send rcl_interfaces_srv.DescribeParametersServiceResponseSender) {
					ps.log.Debug("parameter request", "service", "describe_parameters", "names", req.Names)
					resp := rcl_interfaces_srv.NewDescribeParameters_Response()
					ds, _ := ps.store.Describe(req.Names) // none when a name is unknown, as rclcpp answers
					for _, d := range ds {
						resp.Descriptors = append(resp.Descriptors, rcl_interfaces_msg.ParameterDescriptor{
							Name: d.Name, Type: uint8(d.Type), Description: d.Description,
							AdditionalConstraints: d.Constraints, ReadOnly: d.ReadOnly,
						})
					}
					ps.reply(send.SendResponse(resp))
				})
			return err
		}},
		{"~/set_parameters", func() error {
			_, err := rcl_interfaces_srv.NewSetParametersService(n, "~/set_parameters", opts,
				func(_ *rclgo.ServiceInfo, req *rcl_interfaces_srv.SetParameters_Request, send rcl_interfaces_srv.SetParametersServiceResponseSender) {
					ps.log.Debug("parameter request", "service", "set_parameters", "parameters", len(req.Parameters))
					results, ev := ps.store.Set(fromParamMsgs(req.Parameters))
					ps.logRefusals(results)
					resp := rcl_interfaces_srv.NewSetParameters_Response()
					for _, r := range results {
						resp.Results = append(resp.Results, rcl_interfaces_msg.SetParametersResult{Successful: r.Successful, Reason: r.Reason})
					}
					ps.reply(send.SendResponse(resp))
					ps.announce(ev)
				})
			return err
		}},
		{"~/set_parameters_atomically", func() error {
			_, err := rcl_interfaces_srv.NewSetParametersAtomicallyService(n, "~/set_parameters_atomically", opts,
				func(_ *rclgo.ServiceInfo, req *rcl_interfaces_srv.SetParametersAtomically_Request, send rcl_interfaces_srv.SetParametersAtomicallyServiceResponseSender) {
					ps.log.Debug("parameter request", "service", "set_parameters_atomically", "parameters", len(req.Parameters))
					r, ev := ps.store.SetAtomically(fromParamMsgs(req.Parameters))
					ps.logRefusals([]params.Result{r})
					resp := rcl_interfaces_srv.NewSetParametersAtomically_Response()
					resp.Result = rcl_interfaces_msg.SetParametersResult{Successful: r.Successful, Reason: r.Reason}
					ps.reply(send.SendResponse(resp))
					ps.announce(ev)
				})
			return err
		}},
	} {
		if err := s.make(); err != nil {
			return fmt.Errorf("ros: service %s: %w", s.name, err)
		}
	}
	return nil
}

func (ps *paramServer) logRefusals(rs []params.Result) {
	for _, r := range rs {
		if !r.Successful {
			ps.log.Info("parameter not set", "reason", r.Reason)
		}
	}
}

func (ps *paramServer) reply(err error) {
	if err != nil {
		ps.log.Warn("parameter service: response not sent", "err", err)
	}
}

// announce publishes a non-empty event stamped now (wall time: the node has
// no sim time yet) and logs each change.
func (ps *paramServer) announce(ev params.Event) {
	if ev.Empty() {
		return
	}
	now := time.Now()
	m := rcl_interfaces_msg.NewParameterEvent()
	m.Stamp.Sec, m.Stamp.Nanosec = int32(now.Unix()), uint32(now.Nanosecond())
	m.Node = ps.node
	m.NewParameters = toParamMsgs(ev.New)
	m.ChangedParameters = toParamMsgs(ev.Changed)
	m.DeletedParameters = toParamMsgs(ev.Deleted)
	for _, p := range ev.Changed {
		ps.log.Info("parameter changed", "name", p.Name, "value", p.Value.Format())
	}
	if err := ps.events.Publish(m); err != nil {
		ps.log.Warn("parameter event not published", "topic", ParameterEventsTopic, "err", err)
	}
}

func toParamMsgs(ps []params.Param) []rcl_interfaces_msg.Parameter {
	out := make([]rcl_interfaces_msg.Parameter, len(ps))
	for i, p := range ps {
		out[i] = rcl_interfaces_msg.Parameter{Name: p.Name, Value: toValueMsg(p.Value)}
	}
	return out
}

func fromParamMsgs(ms []rcl_interfaces_msg.Parameter) []params.Param {
	out := make([]params.Param, len(ms))
	for i, m := range ms {
		v := m.Value
		out[i] = params.Param{Name: m.Name, Value: params.Value{
			Type: params.Type(v.Type), Bool: v.BoolValue, Int: v.IntegerValue, Double: v.DoubleValue,
			String: v.StringValue, Bytes: v.ByteArrayValue, Bools: v.BoolArrayValue, Ints: v.IntegerArrayValue,
			Doubles: v.DoubleArrayValue, Strings: v.StringArrayValue,
		}}
	}
	return out
}

// toValueMsg fills only the field Type names, as rclcpp does: a receiver
// reads that one.
func toValueMsg(v params.Value) rcl_interfaces_msg.ParameterValue {
	m := rcl_interfaces_msg.ParameterValue{Type: uint8(v.Type)}
	switch v.Type {
	case params.TypeBool:
		m.BoolValue = v.Bool
	case params.TypeInteger:
		m.IntegerValue = v.Int
	case params.TypeDouble:
		m.DoubleValue = v.Double
	case params.TypeString:
		m.StringValue = v.String
	case params.TypeByteArray:
		m.ByteArrayValue = v.Bytes
	case params.TypeBoolArray:
		m.BoolArrayValue = v.Bools
	case params.TypeIntegerArray:
		m.IntegerArrayValue = v.Ints
	case params.TypeDoubleArray:
		m.DoubleArrayValue = v.Doubles
	case params.TypeStringArray:
		m.StringArrayValue = v.Strings
	}
	return m
}
