package rbac

import (
	"slices"
	"strings"
)

// builtinTable lists the resources a Kubernetes API server serves without extensions, and the
// names RBAC rules use for things that are not stored objects (users, groups and service accounts
// to impersonate, certificate signers, the kubelet's node subresources), as
// "group|resource|scope|subresources" with scope "ns" (namespaced) or "cluster".
var builtinTable = []string{
	"|bindings|ns|",
	"|componentstatuses|cluster|",
	"|configmaps|ns|",
	"|endpoints|ns|",
	"|events|ns|",
	"|limitranges|ns|",
	"|namespaces|cluster|finalize,status",
	"|nodes|cluster|proxy,status,log,metrics,stats,spec,pods,checkpoint,configz,healthz",
	"|persistentvolumeclaims|ns|status",
	"|persistentvolumes|cluster|status",
	"|pods|ns|attach,binding,ephemeralcontainers,eviction,exec,log,portforward,proxy,resize,status",
	"|podtemplates|ns|",
	"|replicationcontrollers|ns|scale,status",
	"|resourcequotas|ns|status",
	"|secrets|ns|",
	"|serviceaccounts|ns|token",
	"|services|ns|proxy,status",
	"|users|cluster|",  // impersonation
	"|groups|cluster|", // impersonation
	"admissionregistration.k8s.io|mutatingadmissionpolicies|cluster|status",
	"admissionregistration.k8s.io|mutatingadmissionpolicybindings|cluster|",
	"admissionregistration.k8s.io|mutatingwebhookconfigurations|cluster|",
	"admissionregistration.k8s.io|validatingadmissionpolicies|cluster|status",
	"admissionregistration.k8s.io|validatingadmissionpolicybindings|cluster|",
	"admissionregistration.k8s.io|validatingwebhookconfigurations|cluster|",
	"apiextensions.k8s.io|customresourcedefinitions|cluster|status",
	"apiregistration.k8s.io|apiservices|cluster|status",
	"apps|controllerrevisions|ns|",
	"apps|daemonsets|ns|status",
	"apps|deployments|ns|scale,status",
	"apps|replicasets|ns|scale,status",
	"apps|statefulsets|ns|scale,status",
	"authentication.k8s.io|selfsubjectreviews|cluster|",
	"authentication.k8s.io|tokenreviews|cluster|",
	"authentication.k8s.io|uids|cluster|",        // impersonation
	"authentication.k8s.io|userextras|cluster|*", // impersonation: userextras/<key>
	"authorization.k8s.io|localsubjectaccessreviews|ns|",
	"authorization.k8s.io|selfsubjectaccessreviews|cluster|",
	"authorization.k8s.io|selfsubjectrulesreviews|cluster|",
	"authorization.k8s.io|subjectaccessreviews|cluster|",
	"autoscaling|horizontalpodautoscalers|ns|status",
	"batch|cronjobs|ns|status",
	"batch|jobs|ns|status",
	"certificates.k8s.io|certificatesigningrequests|cluster|approval,status",
	"certificates.k8s.io|clustertrustbundles|cluster|",
	"certificates.k8s.io|podcertificaterequests|ns|status",
	"certificates.k8s.io|signers|cluster|", // approve and sign
	"coordination.k8s.io|leasecandidates|ns|",
	"coordination.k8s.io|leases|ns|",
	"discovery.k8s.io|endpointslices|ns|",
	"events.k8s.io|events|ns|",
	"flowcontrol.apiserver.k8s.io|flowschemas|cluster|status",
	"flowcontrol.apiserver.k8s.io|prioritylevelconfigurations|cluster|status",
	"internal.apiserver.k8s.io|storageversions|cluster|status",
	"metrics.k8s.io|nodes|cluster|",
	"metrics.k8s.io|pods|ns|",
	"networking.k8s.io|ingressclasses|cluster|",
	"networking.k8s.io|ingresses|ns|status",
	"networking.k8s.io|ipaddresses|cluster|",
	"networking.k8s.io|networkpolicies|ns|",
	"networking.k8s.io|servicecidrs|cluster|status",
	"node.k8s.io|runtimeclasses|cluster|",
	"policy|poddisruptionbudgets|ns|status",
	"rbac.authorization.k8s.io|clusterrolebindings|cluster|",
	"rbac.authorization.k8s.io|clusterroles|cluster|",
	"rbac.authorization.k8s.io|rolebindings|ns|",
	"rbac.authorization.k8s.io|roles|ns|",
	"resource.k8s.io|deviceclasses|cluster|",
	"resource.k8s.io|devicetaintrules|cluster|status",
	"resource.k8s.io|resourceclaims|ns|status",
	"resource.k8s.io|resourceclaimtemplates|ns|",
	"resource.k8s.io|resourceslices|cluster|",
	"scheduling.k8s.io|priorityclasses|cluster|",
	"storage.k8s.io|csidrivers|cluster|",
	"storage.k8s.io|csinodes|cluster|",
	"storage.k8s.io|csistoragecapacities|ns|",
	"storage.k8s.io|storageclasses|cluster|",
	"storage.k8s.io|volumeattachments|cluster|status",
	"storage.k8s.io|volumeattributesclasses|cluster|",
	"storagemigration.k8s.io|storageversionmigrations|cluster|status",
}

// ResourceInfo is what jobguard knows about a built-in resource.
type ResourceInfo struct {
	Namespaced   bool
	Subresources []string // "*" when any name is valid (userextras/<key>)
}

var builtinResources = func() map[string]ResourceInfo {
	m := make(map[string]ResourceInfo, len(builtinTable))
	for _, line := range builtinTable {
		f := strings.Split(line, "|")
		info := ResourceInfo{Namespaced: f[2] == "ns"}
		if f[3] != "" {
			info.Subresources = strings.Split(f[3], ",")
		}
		m[f[0]+"/"+f[1]] = info
	}
	return m
}()

// LookupResource returns what jobguard knows of r when it is a resource (and subresource) that
// Kubernetes serves without extensions, or that RBAC rules name for impersonation and
// certificate signing. ok is false for anything else: a custom resource, an aggregated API other
// than metrics.k8s.io, or a misspelling.
func LookupResource(r ResourceRef) (info ResourceInfo, ok bool) {
	info, ok = builtinResources[r.APIGroup+"/"+r.Resource]
	if !ok || r.Subresource == "" {
		return info, ok
	}
	if slices.Contains(info.Subresources, r.Subresource) || slices.Contains(info.Subresources, "*") {
		return info, true
	}
	return info, false
}

// SuggestResource returns the built-in resource a mistyped r probably means ("cronjob.batch" ->
// "cronjobs.batch", "deployments" -> "deployments.apps", "pods/execs" -> "pods/exec"), or false.
func SuggestResource(r ResourceRef) (ResourceRef, bool) {
	if _, ok := LookupResource(r); ok {
		return ResourceRef{}, false
	}
	if info, ok := builtinResources[r.APIGroup+"/"+r.Resource]; ok {
		// A known resource with an unknown subresource.
		for _, s := range info.Subresources {
			if s != "*" && (s+"s" == r.Subresource || s == r.Subresource+"s" || strings.EqualFold(s, r.Subresource)) {
				return ResourceRef{APIGroup: r.APIGroup, Resource: r.Resource, Subresource: s}, true
			}
		}
		return ResourceRef{}, false
	}
	plurals := []string{r.Resource, r.Resource + "s", r.Resource + "es"}
	if base, ok := strings.CutSuffix(r.Resource, "y"); ok {
		plurals = append(plurals, base+"ies")
	}
	// The same group first, then any group (a resource given without its group).
	for _, anyGroup := range []bool{false, true} {
		for _, p := range plurals {
			for _, line := range builtinTable {
				f := strings.Split(line, "|")
				if f[1] != p || (!anyGroup && f[0] != r.APIGroup) || (anyGroup && r.APIGroup != "" && f[0] != r.APIGroup) {
					continue
				}
				s := ResourceRef{APIGroup: f[0], Resource: f[1], Subresource: r.Subresource}
				if _, ok := LookupResource(s); ok || r.Subresource == "" {
					return s, true
				}
			}
		}
	}
	return ResourceRef{}, false
}

// knownVerbs are the verbs the API server and RBAC use.
var knownVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
	"escalate", "bind", "impersonate", "approve", "sign", "attest", "use", "proxy", "*"}

// KnownVerb reports whether verb is one the API server asks RBAC about (or "*").
func KnownVerb(verb string) bool { return slices.Contains(knownVerbs, verb) }
