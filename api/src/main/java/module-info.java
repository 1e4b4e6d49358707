/**
 * The jix application API: IX's event conditions and batched calls ({@code io.jix.api}) and the
 * libevent-like layer for ordinary applications ({@code io.jix.api.ev}).
 */
module jix.api {
    exports io.jix.api;
    exports io.jix.api.ev;
}
