package deploy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Object is one decoded manifest: its typed value (*batchv1.CronJob,
// *corev1.ConfigMap, ...) and where it came from.
type Object struct {
	File string // path of the manifest file
	Doc  int    // 1 for the first YAML document of the file
	Kind string
	Name string
	Obj  any
}

func (o Object) String() string {
	return fmt.Sprintf("%s (%s %s)", o.Where(), o.Kind, o.Name)
}

// Where names the file, and the document when it is not the first.
func (o Object) Where() string {
	if o.Doc > 1 {
		return fmt.Sprintf("%s, document %d", o.File, o.Doc)
	}
	return o.File
}

// types maps apiVersion/kind to a constructor of the typed object. A kind
// not listed is an error: every manifest shipped is checked, none skipped.
var types = map[string]func() any{
	"v1/ConfigMap":             func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                func() any { return &corev1.Secret{} },
	"v1/PersistentVolumeClaim": func() any { return &corev1.PersistentVolumeClaim{} },
	"batch/v1/CronJob":         func() any { return &batchv1.CronJob{} },
	"batch/v1/Job":             func() any { return &batchv1.Job{} },
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$`)

// Load decodes every *.yaml and *.yml file under dir, each YAML document
// strictly, and returns the objects in file order.
func Load(dir string) ([]Object, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no manifests", dir)
	}
	sort.Strings(files)
	var objs []Object
	var errs []error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for i, doc := range docSeparator.Split(string(data), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			o, err := Decode([]byte(doc))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", Object{File: f, Doc: i + 1}.Where(), err))
				continue
			}
			o.File, o.Doc = f, i+1
			objs = append(objs, o)
		}
	}
	return objs, errors.Join(errs...)
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// Decode reads one YAML document into the API type its apiVersion and kind
// name, the way the API server does with strict field validation: field
// names are case-sensitive, and unknown or duplicate fields are errors.
func Decode(doc []byte) (Object, error) {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return Object{}, err
	}
	var tm metav1.TypeMeta
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(js, &tm); err != nil {
		return Object{}, err
	}
	if tm.APIVersion == "" || tm.Kind == "" {
		return Object{}, errors.New("apiVersion and kind are required")
	}
	newObj, ok := types[tm.APIVersion+"/"+tm.Kind]
	if !ok {
		return Object{}, fmt.Errorf("%s %s: not a kind this check knows (add it to types)", tm.APIVersion, tm.Kind)
	}
	obj := newObj()
	strict, err := sigsjson.UnmarshalStrict(js, obj, sigsjson.DisallowUnknownFields, sigsjson.DisallowDuplicateFields)
	if err != nil {
		return Object{}, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	if len(strict) > 0 {
		return Object{}, fmt.Errorf("%s: %w", tm.Kind, errors.Join(strict...))
	}
	meta := obj.(metav1.Object)
	if meta.GetName() == "" {
		return Object{}, fmt.Errorf("%s: metadata.name is required", tm.Kind)
	}
	return Object{Kind: tm.Kind, Name: meta.GetName(), Obj: obj}, nil
}
