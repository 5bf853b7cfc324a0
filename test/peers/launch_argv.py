"""What `ros2 launch` would run for a launch file, without launch installed.

launch and launch_ros are not available as wheels (docs: ROS2.md §7), so this
stands in for them: it installs small modules named launch and launch_ros
that record what a launch file builds, runs the file's
generate_launch_description() with the given arguments, and turns each Node
into the command line launch_ros (jazzy, launch_ros/actions/node.py) would
give it:

    <exe> [arguments] [--ros-args <ros_arguments>] --ros-args
          [-r __node:=<name>] [-r __ns:=<namespace>]
          [--params-file <file> | -p name:=value]... [-r from:=to]...

each parameters dict written, as launch_ros writes it, to a file named
launch_params_* holding {<full node name, or /** when the name or the
namespace is unspecified>: {ros__parameters: {...}}}, nested dicts flattened
with dots and string values read back as YAML.

The stand-in is as strict as the real thing where a launch file could go
wrong: keyword arguments launch's classes do not take, a required argument
not given, a value outside an argument's choices, an invalid node name or
namespace, an argument given that the file does not declare, are errors.

usage: launch_argv.py LAUNCH_FILE --tmp DIR [--share PKG=DIR]... [--exe PKG/EXE=PATH]... [name:=value]...

Prints one JSON line: RESULT {"declared": [...], "processes": [...], "includes": [...]};
on an error, "ERROR <message>" on stderr and exit status 1.
"""

import argparse
import importlib.util
import json
import os
import re
import sys
import tempfile
import types

import yaml

SHARES = {}
EXES = {}
TMP = None


class StandInError(Exception):
    pass


def strict(cls_name, kwargs, allowed):
    bad = sorted(set(kwargs) - set(allowed))
    if bad:
        raise StandInError(f"{cls_name}() got unexpected keyword arguments {bad}")


# ---- substitutions -------------------------------------------------------


class Substitution:
    def perform(self, context):
        raise NotImplementedError


def perform(context, value):
    """Expands a SomeSubstitutionsType (text, a substitution, or a list of them) to text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Substitution):
        return value.perform(context)
    if isinstance(value, (list, tuple)):
        return "".join(perform(context, v) for v in value)
    raise StandInError(f"not a substitution: {value!r}")


class TextSubstitution(Substitution):
    def __init__(self, *, text):
        self.text = text

    def perform(self, context):
        return self.text


class LaunchConfiguration(Substitution):
    def __init__(self, variable_name, *, default=None):
        self.variable_name = perform(None, variable_name)
        self.default = default

    def perform(self, context):
        if self.variable_name in context.configurations:
            return context.configurations[self.variable_name]
        if self.default is not None:
            return perform(context, self.default)
        raise StandInError(f"launch configuration {self.variable_name!r} does not exist")


class PathJoinSubstitution(Substitution):
    def __init__(self, substitutions):
        self.substitutions = substitutions

    def perform(self, context):
        return os.path.join(*[perform(context, s) for s in self.substitutions])


class FindExecutable(Substitution):
    def __init__(self, *, name):
        self.name = name

    def perform(self, context):
        # Not looked up: the processes it would run (xacro) are not here.
        return perform(context, self.name)


class Command(Substitution):
    def __init__(self, command, **kwargs):
        strict("Command", kwargs, {"on_stderr"})
        self.command = command

    def perform(self, context):
        # Never run (xacro and the like are not installed here): the
        # command line is recorded in its place.
        return "$(command " + perform(context, self.command) + ")"


class FindPackageShare(Substitution):
    def __init__(self, package):
        self.package = package

    def perform(self, context):
        pkg = perform(context, self.package)
        if pkg not in SHARES:
            raise StandInError(f"package {pkg!r} not found (give --share {pkg}=DIR)")
        return SHARES[pkg]


class ParameterValue:
    def __init__(self, value, *, value_type=None):
        self.value = value
        self.value_type = value_type

    def evaluate(self, context):
        text = perform(context, self.value) if not isinstance(self.value, (bool, int, float)) else self.value
        if self.value_type is str:
            return str(text)
        if isinstance(text, str):
            return yaml.safe_load(text)
        return text


# ---- actions -------------------------------------------------------------


class LaunchDescription:
    def __init__(self, initial_entities=None, **kwargs):
        strict("LaunchDescription", kwargs, {"deprecated_reason"})
        self.entities = list(initial_entities or [])

    def add_action(self, action):
        self.entities.append(action)


class DeclareLaunchArgument:
    def __init__(self, name, *, default_value=None, description=None, choices=None, **kwargs):
        strict("DeclareLaunchArgument", kwargs, {"condition"})
        if choices is not None and len(choices) == 0:
            raise StandInError("Provided choices arg is empty. Use None to ignore the choice list.")
        if choices is not None and isinstance(default_value, str) and default_value not in choices:
            raise StandInError(f'Provided default_value "{default_value}" is not in provided choices "{choices}".')
        self.name = name
        self.default_value = default_value
        self.description = description
        self.choices = choices


class OpaqueFunction:
    def __init__(self, *, function, args=None, kwargs=None, **rest):
        strict("OpaqueFunction", rest, {"condition"})
        if not callable(function):
            raise StandInError(f"OpaqueFunction expected a callable for 'function', got {function!r}")
        self.function = function
        self.args = args or []
        self.kwargs = kwargs or {}


class PythonLaunchDescriptionSource:
    def __init__(self, launch_file_path):
        self.launch_file_path = launch_file_path


class IncludeLaunchDescription:
    def __init__(self, launch_description_source, *, launch_arguments=None, **kwargs):
        strict("IncludeLaunchDescription", kwargs, {"condition"})
        self.source = launch_description_source
        self.launch_arguments = list(dict(launch_arguments).items()) if isinstance(launch_arguments, dict) else list(launch_arguments or [])


class OnProcessExit:
    def __init__(self, *, target_action=None, on_exit):
        self.target_action = target_action
        self.on_exit = on_exit if isinstance(on_exit, list) else [on_exit]


class RegisterEventHandler:
    def __init__(self, event_handler, **kwargs):
        strict("RegisterEventHandler", kwargs, {"condition"})
        self.event_handler = event_handler


# ExecuteProcess's keyword arguments (launch jazzy), which Node passes on.
EXECUTE_PROCESS_KWARGS = {
    "cwd", "env", "additional_env", "shell", "sigterm_timeout", "sigkill_timeout", "emulate_tty",
    "output", "output_format", "cached_output", "log_cmd", "on_exit", "respawn", "respawn_delay",
    "respawn_max_retries", "prefix", "condition",
}

NODE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NS_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Node:
    def __init__(self, *, executable, package=None, name=None, namespace=None, exec_name=None,
                 parameters=None, remappings=None, ros_arguments=None, arguments=None, **kwargs):
        strict("Node", kwargs, EXECUTE_PROCESS_KWARGS)
        if parameters is not None and not isinstance(parameters, list):
            raise StandInError("Node: parameters must be a list")
        self.executable = executable
        self.package = package
        self.name = name
        self.namespace = namespace
        self.parameters = parameters
        self.remappings = remappings
        self.ros_arguments = ros_arguments
        self.arguments = arguments
        self.kwargs = kwargs


# ---- running a launch description ---------------------------------------


class Context:
    def __init__(self, configurations):
        self.configurations = dict(configurations)


def flatten(params, prefix=""):
    out = {}
    for k, v in params.items():
        name = prefix + perform(None, k) if isinstance(k, str) else prefix + str(k)
        if isinstance(v, dict):
            out.update(flatten(v, name + "."))
        else:
            out[name] = v
    return out


def evaluate_value(context, name, v):
    # launch_ros dumps a str as YAML and reads a substitution's text as
    # YAML, so both come back typed ("'0042'" stays a str, "true" is a bool);
    # a list holding a substitution is one string.
    if isinstance(v, ParameterValue):
        return v.evaluate(context)
    if isinstance(v, (bool, int, float)):
        return v
    if isinstance(v, str):
        return yaml.safe_load(yaml.dump(v))
    if isinstance(v, Substitution) or (isinstance(v, (list, tuple)) and any(isinstance(x, Substitution) for x in v)):
        text = perform(context, v)
        loaded = yaml.safe_load(text if text else "''")
        if isinstance(loaded, dict) or loaded is None:
            raise StandInError(f"parameter {name}: value {text!r} is not a scalar or a uniform list")
        return loaded
    if isinstance(v, (list, tuple)) and all(isinstance(x, (bool, int, float, str)) for x in v):
        return list(v)
    raise StandInError(f"parameter {name}: unexpected type {type(v).__name__}")


def node_command(context, node):
    exe_key = f"{perform(context, node.package)}/{perform(context, node.executable)}"
    cmd = [EXES.get(exe_key, "@" + exe_key)]
    cmd += [perform(context, a) for a in (node.arguments or [])]
    if node.ros_arguments is not None:
        cmd += ["--ros-args"] + [perform(context, a) for a in node.ros_arguments]
    cmd += ["--ros-args"]
    name = None
    if node.name is not None:
        name = perform(context, node.name)
        if not NODE_NAME.match(name):
            raise StandInError(f"invalid node name {name!r}")
        cmd += ["-r", f"__node:={name}"]
    ns = None
    if node.namespace is not None:
        ns = perform(context, node.namespace)
        if not ns.startswith("/"):
            ns = "/" + ns
        if ns != "/":
            ns = ns.rstrip("/")
            if any(not NS_TOKEN.match(t) for t in ns[1:].split("/")):
                raise StandInError(f"invalid namespace {ns!r}")
        cmd += ["-r", f"__ns:={ns}"]
    full = None
    if name is not None and ns is not None:
        full = ("" if ns == "/" else ns) + "/" + name
    files = []
    for p in node.parameters or []:
        if isinstance(p, dict):
            params = {k: evaluate_value(context, k, v) for k, v in flatten(p).items()}
            doc = {full or "/**": {"ros__parameters": params}}
            with tempfile.NamedTemporaryFile("w", prefix="launch_params_", dir=TMP, delete=False) as h:
                yaml.dump(doc, h, default_flow_style=False)
            files.append({"file": h.name, "key": full or "/**", "parameters": params})
            cmd += ["--params-file", h.name]
        else:
            path = perform(context, p)
            if not os.path.isfile(path):
                # launch_ros warns and skips a parameters file that does not exist.
                print(f"WARNING parameter file path is not a file: {path}", file=sys.stderr)
                continue
            files.append({"file": path, "key": None, "parameters": None})
            cmd += ["--params-file", path]
    for src, dst in node.remappings or []:
        cmd += ["-r", f"{perform(context, src)}:={perform(context, dst)}"]
    return {"package": perform(context, node.package), "executable": perform(context, node.executable),
            "name": name, "namespace": ns, "argv": cmd, "params": files}


def load(path):
    spec = importlib.util.spec_from_file_location(os.path.basename(path).replace(".", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(path, given, out, depth=0, include_args=()):
    module = load(path)
    ld = module.generate_launch_description()
    if not isinstance(ld, LaunchDescription):
        raise StandInError(f"{path}: generate_launch_description() returned {type(ld).__name__}")
    declared = [e for e in ld.entities if isinstance(e, DeclareLaunchArgument)]
    names = [d.name for d in declared]
    if len(set(names)) != len(names):
        raise StandInError(f"{path}: an argument is declared twice: {names}")
    # A mistyped argument would silently do nothing under ros2 launch: the
    # stand-in refuses what the file does not declare (given on the command
    # line, or by an include).
    unknown = sorted(set(include_args if depth else given) - set(names))
    if unknown:
        raise StandInError(f"{path}: arguments not declared: {unknown}")
    context = Context(given)
    if depth == 0:
        out["declared"] = [{"name": d.name, "default": None if d.default_value is None else perform(context, d.default_value),
                            "description": d.description, "choices": d.choices} for d in declared]
    visit(context, ld.entities, out, path, depth)


def visit(context, entities, out, path, depth):
    """Visits entities in order, then fires the OnProcessExit handlers whose
    target was started, as if it had exited (handlers may start targets of
    other handlers), like launch does when the processes end."""
    started, handlers = [], []
    visit_list(context, entities, out, path, depth, started, handlers)
    fired = set()
    while True:
        ready = [i for i, (target, _) in enumerate(handlers) if i not in fired and any(target is s for s in started)]
        if not ready:
            break
        for i in ready:
            fired.add(i)
            visit_list(context, handlers[i][1], out, path, depth, started, handlers)
    if len(fired) != len(handlers):
        raise StandInError(f"{path}: an OnProcessExit handler targets an action never started")


def visit_list(context, entities, out, path, depth, started, handlers):
    for e in entities:
        if isinstance(e, DeclareLaunchArgument):
            if e.name not in context.configurations:
                if e.default_value is None:
                    raise StandInError(f"Required launch argument {e.name!r} (description: {e.description!r}) was not provided")
                context.configurations[e.name] = perform(context, e.default_value)
            if e.choices is not None and context.configurations[e.name] not in e.choices:
                raise StandInError(f"Argument {e.name!r} provided value {context.configurations[e.name]!r} is not valid. Valid options are: {e.choices}")
        elif isinstance(e, OpaqueFunction):
            visit_list(context, e.function(context, *e.args, **e.kwargs) or [], out, path, depth, started, handlers)
        elif isinstance(e, Node):
            out["processes"].append(node_command(context, e))
            started.append(e)
        elif isinstance(e, RegisterEventHandler):
            h = e.event_handler
            if not isinstance(h, OnProcessExit) or h.target_action is None:
                raise StandInError("only RegisterEventHandler(OnProcessExit(target_action=...)) is understood")
            handlers.append((h.target_action, h.on_exit))
        elif isinstance(e, IncludeLaunchDescription):
            file = perform(context, e.source.launch_file_path)
            args = {perform(context, k): perform(context, v) for k, v in e.launch_arguments}
            rec = {"file": file, "launch_arguments": args, "followed": os.path.isfile(file)}
            out["includes"].append(rec)
            if rec["followed"]:
                # Included arguments are launch configurations the included
                # file's declarations read.
                run(file, {**context.configurations, **args}, out, depth + 1, include_args=args)
        elif isinstance(e, LaunchDescription):
            visit_list(context, e.entities, out, path, depth, started, handlers)
        else:
            raise StandInError(f"{path}: the stand-in does not know {type(e).__name__}")


def install_modules():
    def module(name, **attrs):
        m = types.ModuleType(name)
        for k, v in attrs.items():
            setattr(m, k, v)
        sys.modules[name] = m
        return m

    launch = module("launch", LaunchDescription=LaunchDescription, Substitution=Substitution)
    launch.actions = module("launch.actions", DeclareLaunchArgument=DeclareLaunchArgument, OpaqueFunction=OpaqueFunction,
                            IncludeLaunchDescription=IncludeLaunchDescription, RegisterEventHandler=RegisterEventHandler)
    launch.substitutions = module("launch.substitutions", LaunchConfiguration=LaunchConfiguration,
                                  PathJoinSubstitution=PathJoinSubstitution, TextSubstitution=TextSubstitution,
                                  Command=Command, FindExecutable=FindExecutable)
    launch.launch_description_sources = module("launch.launch_description_sources",
                                               PythonLaunchDescriptionSource=PythonLaunchDescriptionSource)
    launch.event_handlers = module("launch.event_handlers", OnProcessExit=OnProcessExit)
    launch_ros = module("launch_ros")
    launch_ros.actions = module("launch_ros.actions", Node=Node)
    launch_ros.substitutions = module("launch_ros.substitutions", FindPackageShare=FindPackageShare)
    launch_ros.parameter_descriptions = module("launch_ros.parameter_descriptions", ParameterValue=ParameterValue)


def main():
    global TMP
    ap = argparse.ArgumentParser()
    ap.add_argument("launch_file")
    ap.add_argument("--tmp", required=True, help="where the parameters files go")
    ap.add_argument("--share", action="append", default=[], metavar="PKG=DIR")
    ap.add_argument("--exe", action="append", default=[], metavar="PKG/EXE=PATH")
    ap.add_argument("args", nargs="*", metavar="name:=value")
    a = ap.parse_intermixed_args()
    TMP = a.tmp
    for s in a.share:
        k, _, v = s.partition("=")
        SHARES[k] = v
    for s in a.exe:
        k, _, v = s.partition("=")
        EXES[k] = v
    given = {}
    for arg in a.args:
        k, sep, v = arg.partition(":=")
        if not sep:
            print(f"ERROR launch argument {arg!r} is not name:=value", file=sys.stderr)
            sys.exit(1)
        given[k] = v
    install_modules()
    out = {"declared": [], "processes": [], "includes": []}
    try:
        run(os.path.abspath(a.launch_file), given, out)
    except (StandInError, ValueError, TypeError) as e:
        print(f"ERROR {e}", file=sys.stderr)
        sys.exit(1)
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
