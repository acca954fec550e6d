// kube-ecs-gitops-check evaluates what GitOps tools think of a kube-ecs object: the Argo CD health
// (by running the shipped Lua health script the way Argo CD does, with gopher-lua) and the Flux /
// kstatus status (with the real kstatus library). It reads one object as JSON on stdin and prints
// {"argo":{"status":..,"message":..},"kstatus":{"status":..,"message":..}}.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

func main() {
	script := flag.String("lua", "", "Argo CD health script (Lua) to run against the object")
	flag.Parse()
	raw, err := io.ReadAll(os.Stdin)
	fail(err)
	// Kubernetes' own decoding (integers stay int64, as kstatus expects).
	u := &unstructured.Unstructured{}
	fail(u.UnmarshalJSON(raw))
	object := u.Object

	out := map[string]verdict{}
	if *script != "" {
		argo, err := argoHealth(*script, object)
		fail(err)
		out["argo"] = argo
	}
	result, err := status.Compute(u)
	fail(err)
	out["kstatus"] = verdict{Status: result.Status.String(), Message: result.Message}
	fail(json.NewEncoder(os.Stdout).Encode(out))
}

// argoHealth runs a health script as Argo CD does: the object is the global `obj`, the script
// returns a table with `status` and `message`.
func argoHealth(path string, object map[string]interface{}) (verdict, error) {
	source, err := os.ReadFile(path)
	if err != nil {
		return verdict{}, err
	}
	state := lua.NewState(lua.Options{SkipOpenLibs: false})
	defer state.Close()
	state.SetGlobal("obj", toLua(state, object))
	if err := state.DoString(string(source)); err != nil {
		return verdict{}, fmt.Errorf("running %s: %w", path, err)
	}
	returned, ok := state.Get(-1).(*lua.LTable)
	if !ok {
		return verdict{}, fmt.Errorf("%s did not return a table", path)
	}
	return verdict{
		Status:  lua.LVAsString(returned.RawGetString("status")),
		Message: lua.LVAsString(returned.RawGetString("message")),
	}, nil
}

// toLua converts decoded JSON into Lua values (objects and arrays become tables, numbers LNumber).
func toLua(state *lua.LState, value interface{}) lua.LValue {
	switch v := value.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []interface{}:
		table := state.NewTable()
		for _, item := range v {
			table.Append(toLua(state, item))
		}
		return table
	case map[string]interface{}:
		table := state.NewTable()
		for key, item := range v {
			table.RawSetString(key, toLua(state, item))
		}
		return table
	default:
		return lua.LString(fmt.Sprint(v))
	}
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube-ecs-gitops-check:", err)
		os.Exit(2)
	}
}
