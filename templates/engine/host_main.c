/* Host test driver: reads TFC_INPUT_BYTES from argv[1], writes TFC_OUTPUT_BYTES to argv[2]. */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

int main(int argc, char **argv) {
    static unsigned char in[TFC_INPUT_BYTES], out[TFC_OUTPUT_BYTES];
    FILE *f;
    if (argc != 3 || (f = fopen(argv[1], "rb")) == NULL) {
        return 2;
    }
    if (fread(in, 1, sizeof in, f) != sizeof in) {
        fclose(f);
        return 3;
    }
    fclose(f);
    if (tfc_model_run(in, out) != 0 || (f = fopen(argv[2], "wb")) == NULL) {
        return 4;
    }
    fwrite(out, 1, sizeof out, f);
    fclose(f);
    return 0;
}
