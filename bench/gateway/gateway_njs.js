// Workload (k), the scripted gateway, NGINX's njs side (bench/README.md; nginx.conf loads it).
// The token map, the upstream groups with their round robin and keep-alive pools, and the
// headers are NGINX's own (map, upstream, proxy_set_header, add_header); njs does the rest.

// The group of a path: the longest matching prefix, as algo.URLRouter does on Sluice's side.
var routes = [
  ['/api/users/', 'users'],
  ['/api/orders/', 'orders'],
  ['/', 'web'],
];

function route(r) {
    var path = r.uri;
    for (var i = 0; i < routes.length; i++) {
        var p = routes[i][0];
        if (path.startsWith(p) || path + '/' === p) return routes[i][1];
    }
    return 'web';
}

// One JSON access-log line (log_format gateway '$gw_access_line').
function accessLine(r) {
    var v = r.variables;
    return JSON.stringify({
        time: new Date().toISOString(),
        client: v.gw_client || '-',
        method: r.method,
        path: v.request_uri,
        group: v.gw_client ? v.gw_group : '-',
        upstream: v.upstream_addr || '-',
        status: Number(v.status),
        ms: Math.round(parseFloat(v.request_time) * 1000),
    });
}

export default { route, accessLine };
