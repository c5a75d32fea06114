(a) => new Response(new Blob([a]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer()
