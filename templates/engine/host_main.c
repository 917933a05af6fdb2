/* Host test driver: reads all inputs (concatenated, TFC_INPUTS_BYTES) from argv[1], runs the model
 * argv[3] times (default 1, state carries over between runs), writes all outputs of every run
 * (concatenated, TFC_OUTPUTS_BYTES each) to argv[2]. */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

int main(int argc, char **argv) {
    static unsigned char in[TFC_INPUTS_BYTES + 1], out[TFC_OUTPUTS_BYTES + 1];
    const void *ins[TFC_NUM_INPUTS + 1];
    void *outs[TFC_NUM_OUTPUTS];
    size_t off = 0;
    int i, runs = argc > 3 ? atoi(argv[3]) : 1;
    FILE *f, *o;
    if (argc < 3 || (f = fopen(argv[1], "rb")) == NULL) {
        return 2;
    }
    for (i = 0; i < TFC_NUM_INPUTS; ++i) {
        ins[i] = in + off;
        off += tfc_input_info[i].bytes;
    }
    for (i = 0, off = 0; i < TFC_NUM_OUTPUTS; ++i) {
        outs[i] = out + off;
        off += tfc_output_info[i].bytes;
    }
    if (fread(in, 1, TFC_INPUTS_BYTES, f) != TFC_INPUTS_BYTES) {
        fclose(f);
        return 3;
    }
    fclose(f);
    if ((o = fopen(argv[2], "wb")) == NULL) {
        return 4;
    }
    for (i = 0; i < runs; ++i) {
        if (tfc_model_run(ins, outs) != 0) {
            fclose(o);
            return 5;
        }
        fwrite(out, 1, TFC_OUTPUTS_BYTES, o);
    }
    fclose(o);
    return 0;
}
