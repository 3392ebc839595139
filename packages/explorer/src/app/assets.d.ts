/** esbuild bundles imported stylesheets into the page; to the type checker they are opaque. */
declare module '*.css';
